import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
  stderrTail: () => string;
}

/**
 * Spawns a TypeScript entry point (through tsx), keeping the tail of its stderr for failure messages.
 * With SCA_PROF=<dir> each child writes a V8 CPU profile there on exit (Node refuses --cpu-prof in
 * NODE_OPTIONS): how the runtime bench's services were profiled.
 */
export function spawnTs(args: string[], env: NodeJS.ProcessEnv = process.env, onLine?: (line: string) => void): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", ...(process.env.SCA_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.SCA_PROF] : []), ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  proc.stderr!.on("data", (d: Buffer) => (tail = (tail + d.toString()).slice(-4_000)));
  const lines = createInterface({ input: proc.stdout! });
  lines.on("line", (l) => onLine?.(l));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, exited, stderrTail: () => tail };
}

/** `count` distinct random points in [lo, hi), sorted: when to kill. */
export function killPoints(count: number, lo: number, hi: number): number[] {
  const points = new Set<number>();
  while (points.size < count) points.add(Math.floor(lo + Math.random() * (hi - lo)));
  return [...points].sort((a, b) => a - b);
}
