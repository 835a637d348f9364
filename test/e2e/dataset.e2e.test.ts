import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planOfRow, readRows, runSca } from "./support/sca.ts";
import { expectedSelected, SAMPLES, seedNames } from "./support/scripted-llm.ts";
import { type Workspace, workspace } from "./support/workspace.ts";

describe("sca run with a scripted LLM whose responses pass or fail by design", () => {
  const names = seedNames();
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace(names);
  });
  afterAll(() => ws?.close());

  it("exports exactly one row per instruction with a passing sample, and the chosen response passed", async () => {
    const r = await runSca(["run", "--seeds", ws.seedsFile, "--limit", "100", "--samples", String(SAMPLES), ...ws.flags("a")]);
    expect(r.stdout).toMatch(/done: \d+ rows?/);
    const rows = readRows(ws.out("a"));
    const plans = rows.map(planOfRow);
    expect(new Set(rows.map((x) => x.instruction_id)).size).toBe(rows.length);
    // The default sandbox timeout (10 s) lets the slow samples pass.
    expect(plans.sort()).toEqual(expectedSelected(names, 10));
    for (const row of rows) {
      expect(row.response, planOfRow(row)).toContain("(PASSES)");
      expect(row.n_passed).toBeGreaterThan(0);
    }

    const card = readFileSync(join(ws.out("a"), "README.md"), "utf8");
    expect(card).toContain(`**${rows.length} rows**`);
    expect(card).toMatch(/Only \d+ rows/);
    expect(card).toContain("| difficulty | instructions |");
    expect(card).toContain("| category | instructions |");
    expect(card).toContain('"samples": 3');

    // Each seed cost one S→C, one C→I and one I→R request (n samples in one request).
    expect(ws.llm.requests).toHaveLength(3 * names.length);
  });

  it("rerunning the finished command changes nothing and asks the LLM nothing", async () => {
    const before = readFileSync(join(ws.out("a"), "train.jsonl"), "utf8");
    const requests = ws.llm.requests.length;
    await runSca(["run", "--seeds", ws.seedsFile, "--limit", "100", "--samples", String(SAMPLES), ...ws.flags("a")]);
    expect(readFileSync(join(ws.out("a"), "train.jsonl"), "utf8")).toBe(before);
    expect(ws.llm.requests).toHaveLength(requests);
  });
});
