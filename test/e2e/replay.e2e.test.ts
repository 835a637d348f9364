import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planOfRow, readRows, runSca } from "./support/sca.ts";
import { expectedSelected, SAMPLES, SLOW_S, seedNames } from "./support/scripted-llm.ts";
import { type Workspace, workspace } from "./support/workspace.ts";

describe("sca replay verdicts with a shorter sandbox timeout", () => {
  const names = seedNames();
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace(names);
  });
  afterAll(() => ws?.close());

  it("drops the responses that now time out, re-selects where another passed, and asks the LLM nothing", async () => {
    await runSca(["run", "--seeds", ws.seedsFile, "--limit", "100", "--samples", String(SAMPLES), ...ws.flags("r")]);
    const before = readRows(ws.out("r"));
    expect(before.map(planOfRow).sort()).toEqual(expectedSelected(names, 10));
    const requests = ws.llm.requests.length;

    const shorter = String(SLOW_S / 2);
    // LLM_BASE_URL points at the counting server: a replay that called the LLM would show up.
    const r = await runSca(["replay", "verdicts", "--from", "beginning", "--sandbox-timeout", shorter, ...ws.flags("r")], {
      LLM_BASE_URL: ws.llm.url,
      LLM_MODEL: "scripted",
    });
    expect(r.stderr).toContain("verdicts: group offsets on responses set to");

    const after = readRows(ws.out("r"));
    expect(after.map(planOfRow).sort()).toEqual(expectedSelected(names, SLOW_S / 2));
    expect(after.map(planOfRow)).not.toContain("slow_only");
    const slowSome = after.find((x) => planOfRow(x) === "slow_some")!;
    expect(slowSome.response).toContain("Sample 1 of slow_some (PASSES)");
    for (const row of after) expect(row.response).not.toMatch(/time\.sleep/);
    expect(new Set(after.map((x) => x.instruction_id)).size).toBe(after.length);
    expect(ws.llm.requests.length).toBe(requests);
  });
});
