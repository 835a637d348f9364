import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRows, runSca, spawnSca } from "./support/sca.ts";
import { expectedSelected, SAMPLES, seedNames } from "./support/scripted-llm.ts";
import { type Workspace, workspace } from "./support/workspace.ts";

const byInstruction = (rows: ReturnType<typeof readRows>) => rows.map((r) => `${r.instruction_id} ${r.response_id}`).sort();

describe("sca run killed with SIGKILL three times and rerun", () => {
  const names = seedNames(3);
  let ws: Workspace;
  beforeAll(async () => {
    // Slow answers stretch the run so that the kills land mid-stream.
    ws = await workspace(names, { delayMs: 250 });
  });
  afterAll(() => ws?.close());

  it("ends with the same train.jsonl as an uninterrupted run: no duplicate, no missing row", async () => {
    const args = (name: string) => ["run", "--seeds", ws.seedsFile, "--limit", "100", "--samples", String(SAMPLES), ...ws.flags(name)];
    await runSca(args("clean"));
    const clean = readRows(ws.out("clean"));
    expect(clean.map((r) => r.seed).length).toBe(expectedSelected(names, 10).length);

    // Each run is killed once the log has grown past the next mark (a finished run writes ~400 kB):
    // early, in the middle of the LLM stages, and while verdicts and rows are flowing.
    const journal = join(ws.dir, "killed", "state", "log", "journal.log");
    const size = () => (existsSync(journal) ? statSync(journal).size : 0);
    const killedMidRun: boolean[] = [];
    for (const mark of [60_000, 170_000, 280_000]) {
      const { child, done } = spawnSca(args("killed"));
      const deadline = Date.now() + 60_000;
      while (size() < mark && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      killedMidRun.push(child.exitCode === null);
      child.kill("SIGKILL");
      const r = await done;
      if (r.signal !== "SIGKILL") throw new Error(`run ended before the kill (${r.code}):\n${r.stderr.slice(-2000)}`);
    }
    expect(killedMidRun).toEqual([true, true, true]);
    const partial = existsSync(join(ws.out("killed"), "train.jsonl")) ? readRows(ws.out("killed")).length : 0;
    expect(partial).toBeLessThan(clean.length);
    await runSca(args("killed"));

    const resumed = readRows(ws.out("killed"));
    expect(new Set(resumed.map((r) => r.instruction_id)).size).toBe(resumed.length);
    expect(byInstruction(resumed)).toEqual(byInstruction(clean));
    // five whole runs, three of them cut short: over the default 120 s on a loaded 2-core machine
  }, 300_000);
});
