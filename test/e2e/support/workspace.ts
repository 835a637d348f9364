import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScriptedServer } from "../../llm/scripted-server.ts";
import { seedsFor, startScriptedLlm } from "./scripted-llm.ts";

/** A temp folder with a seeds file, a scripted LLM, and the `sca run` flags that use them. */
export interface Workspace {
  dir: string;
  llm: ScriptedServer;
  seedsFile: string;
  /** flags for `sca run`/`sca replay`: state and export in `name`'s subfolders */
  flags(name: string): string[];
  out(name: string): string;
  close(): Promise<void>;
}

export async function workspace(names: string[], opts: { delayMs?: number; rejected?: Set<string> } = {}): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), "sca-e2e-"));
  const llm = await startScriptedLlm(opts);
  const seedsFile = join(dir, "seeds.jsonl");
  writeFileSync(
    seedsFile,
    seedsFor(names)
      .map((s) => JSON.stringify(s))
      .join("\n") + "\n",
  );
  const out = (name: string) => join(dir, name, "out");
  const ws: Workspace = {
    dir,
    llm,
    seedsFile,
    out,
    flags: (name) => [
      "--state",
      join(dir, name, "state"),
      "--out",
      out(name),
      "--llm-base-url",
      llm.url,
      "--llm-model",
      "scripted",
      "--sandbox",
      "bwrap",
      "--progress",
      "lines",
    ],
    async close() {
      // the test may have replaced the server (a restart on the same port)
      await ws.llm.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ws;
}
