import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One run id per state folder, kept across resumes, so every record of a run carries the same one. */
export function stableRunId(stateDir: string): string {
  const file = join(stateDir, "run-id");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(stateDir, { recursive: true });
  const id = randomUUID();
  writeFileSync(file, id + "\n");
  return id;
}
