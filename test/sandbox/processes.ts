import { readdirSync, readFileSync } from "node:fs";

/** Processes running as `uid` that this process can see (a gVisor sandbox's never show on the host). */
export function processesOf(uid: number): number {
  let n = 0;
  for (const p of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (new RegExp(`^Uid:\\s+${uid}\\s`, "m").test(readFileSync(`/proc/${p}/status`, "utf8"))) n++;
    } catch {
      /* exited meanwhile */
    }
  }
  return n;
}
