/**
 * Runs the simulated inference server in its own process, as a real server would be: the client
 * under test then cannot stall the simulator's clock by keeping the event loop busy. Controlled
 * over HTTP (/sim/stats, /sim/window/close).
 *
 *   node --import tsx test/llm/sim-process.ts '<SimOptions as JSON>'   # prints the base URL
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type SimOptions, type SimStats, startSimServer } from "./sim-server.ts";

export interface SimProcess {
  url: string;
  stats(): Promise<SimStats>;
  stopWindow(): Promise<void>;
  close(): Promise<void>;
}

export async function spawnSimServer(opts: SimOptions): Promise<SimProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), JSON.stringify(opts)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => Promise.reject(new Error(`sim server exited with ${code} before listening`))),
  ])) as [string];
  const url = first.trim();
  const control = url.replace(/\/v1$/, "/sim");
  return {
    url,
    stats: async () => (await (await fetch(`${control}/stats`)).json()) as SimStats,
    stopWindow: async () => void (await fetch(`${control}/window/close`, { method: "POST" })),
    close: async () => {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sim = await startSimServer(JSON.parse(process.argv[2]) as SimOptions);
  console.log(sim.url);
  process.on("SIGTERM", () => void sim.close().then(() => process.exit(0)));
}
