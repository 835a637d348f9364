import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planOfRow, readRows, runSca, spawnSca } from "../e2e/support/sca.ts";
import { expectedSelected, SAMPLES, seedNames, startScriptedLlm } from "../e2e/support/scripted-llm.ts";
import { type Workspace, workspace } from "../e2e/support/workspace.ts";

/**
 * `sca run` whose LLM server dies mid-run: it says what it waits for, stops non-zero after
 * --max-outage with nothing lost, and the same command finishes the job once the server is back.
 */
describe("sca run through an LLM server that goes away", () => {
  const names = seedNames(2);
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace(names, { delayMs: 200 });
  });
  afterAll(() => ws?.close());

  it("waits, stops with exit 75 after --max-outage, and resumes to the full dataset", async () => {
    const args = [
      "run",
      "--seeds",
      ws.seedsFile,
      "--limit",
      "100",
      "--samples",
      String(SAMPLES),
      "--sandbox-timeout",
      "5",
      "--max-outage",
      "8s",
      ...ws.flags("a"),
    ];
    const { done } = spawnSca(args);
    const deadline = Date.now() + 120_000;
    while (ws.llm.requests.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await ws.llm.close();
    const r = await done;
    expect(r.code, r.stderr.slice(-2000)).toBe(75);
    expect(r.stderr).toMatch(new RegExp(`waiting for the LLM server at ${ws.llm.url.replace(/[.]/g, "\\.")} \\(down \\d+s\\)`));
    expect(r.stdout).toContain("stopped: the LLM server at");
    expect(r.stdout).toContain("longer than --max-outage 8s");
    expect(r.stdout).not.toContain("done:");

    // Back on the same address: the same command picks up where it stopped.
    ws.llm = await startScriptedLlm({ delayMs: 0, port: Number(new URL(ws.llm.url).port) });
    const again = await runSca(args);
    expect(again.stdout).toMatch(/done: \d+ rows?/);
    const rows = readRows(ws.out("a"));
    expect(rows.map(planOfRow).sort()).toEqual(expectedSelected(names, 5));
    expect(new Set(rows.map((x) => x.instruction_id)).size).toBe(rows.length);
  }, 300_000);
});
