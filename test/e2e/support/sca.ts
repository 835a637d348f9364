import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `sca <args>` as its own process (so it can be SIGKILLed like a user's run). */
export function spawnSca(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [join(root, "bin", "sca.js"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Runs `sca <args>` to the end; a non-zero exit fails with its output. */
export async function runSca(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const r = await spawnSca(args, env).done;
  if (r.code !== 0) throw new Error(`sca ${args.join(" ")} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

export interface Row {
  id: string;
  instruction_id: string;
  response_id: string;
  instruction: string;
  response: string;
  tests: string;
  seed: string;
  n_passed: number;
}

export function readRows(outDir: string): Row[] {
  return readFileSync(join(outDir, "train.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

/** The seed function (plan) a row came from, as the scripted LLM wrote it into the instruction. */
export function planOfRow(r: Row): string {
  const m = /\[plan (\w+)\]/.exec(r.instruction);
  if (!m) throw new Error(`row ${r.id} has no plan marker: ${r.instruction}`);
  return m[1];
}
