import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planOfRow, readRows, runSca } from "../e2e/support/sca.ts";
import { expectedSelected, SAMPLES, seedNames } from "../e2e/support/scripted-llm.ts";
import { type Workspace, workspace } from "../e2e/support/workspace.ts";

/**
 * The server refused some prompts (400): those seeds went to the concepts DLQ, as they should. Once
 * the server is fixed, `sca dlq redrive` puts them back and the next `sca run` turns them into rows,
 * each once; redriving again puts back nothing.
 */
describe("sca dlq after a run whose server refused some prompts", () => {
  const names = seedNames();
  const rejected = new Set(["keep_all", "one_pass"]);
  let ws: Workspace;
  const state = () => join(ws.dir, "a", "state");
  const run = () => runSca(["run", "--seeds", ws.seedsFile, "--limit", "100", "--samples", String(SAMPLES), "--sandbox-timeout", "5", ...ws.flags("a")]);
  beforeAll(async () => {
    ws = await workspace(names, { rejected });
  });
  afterAll(() => ws?.close());

  it("lists and shows the refused seeds, redrives them exactly once, and the next run exports them", async () => {
    await run();
    const first = readRows(ws.out("a")).map(planOfRow).sort();
    expect(first).toEqual(expectedSelected(names, 5).filter((n) => !rejected.has(n)));

    const list = await runSca(["dlq", "list", "--state-dir", state()]);
    expect(list.stdout).toMatch(/concepts\s+seeds\.dlq\s+poison\s+2/);
    const shown = (await runSca(["dlq", "show", "concepts", "--reason", "poison", "--state-dir", state()])).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { reason: string; error: string; record: { name: string } });
    expect(shown.map((e) => e.record.name).sort()).toEqual([...rejected].sort());
    expect(shown.every((e) => e.reason === "poison" && e.error.includes("400"))).toBe(true);

    rejected.clear();
    const redriven = await runSca(["dlq", "redrive", "concepts", "--state-dir", state()]);
    expect(redriven.stdout).toContain("2 records put back on seeds");
    await run();
    const rows = readRows(ws.out("a"));
    expect(rows.map(planOfRow).sort()).toEqual(expectedSelected(names, 5));
    expect(new Set(rows.map((r) => r.instruction_id)).size).toBe(rows.length);

    // Rerunning the redrive re-injects nothing: the next run finds no work and the export stays as it is.
    const again = await runSca(["dlq", "redrive", "concepts", "--state-dir", state()]);
    expect(again.stdout).toContain("0 records put back");
    const before = readFileSync(join(ws.out("a"), "train.jsonl"), "utf8");
    const requests = ws.llm.requests.length;
    await run();
    expect(readFileSync(join(ws.out("a"), "train.jsonl"), "utf8")).toBe(before);
    expect(ws.llm.requests).toHaveLength(requests);
  }, 300_000);
});
