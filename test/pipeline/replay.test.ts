import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inputOf, ReplayFromSpec, replayedStages, replayOffsets } from "../../services/pipeline/replay.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";

describe("replay arguments", () => {
  it("parses beginning, an offset and an ISO time, and names what it expected otherwise", () => {
    expect(ReplayFromSpec.parse("beginning")).toEqual({ kind: "beginning" });
    expect(ReplayFromSpec.parse("120")).toEqual({ kind: "offset", offset: 120n });
    expect(ReplayFromSpec.parse("2026-01-31T12:00:00Z")).toEqual({ kind: "time", ts: Date.UTC(2026, 0, 31, 12) });
    const bad = ReplayFromSpec.safeParse("yesterday");
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].message).toMatch(/--from must be "beginning", an offset .* got "yesterday"/);
  });

  it("replays a stage and the ones after it, through --to-stage", () => {
    expect(replayedStages("verdicts")).toEqual(["verdicts", "selector", "curation", "sink"]);
    expect(replayedStages("responses", "verdicts")).toEqual(["responses", "verdicts"]);
    expect(() => replayedStages("verdicts", "concepts")).toThrow(/comes before verdicts/);
    expect(() => replayedStages("judge")).toThrow(/cannot replay "judge"/);
    expect(inputOf("verdicts")).toBe("responses");
    expect(inputOf("sink")).toBe("dataset");
    expect(inputOf("curation")).toBe("selected");
  });
});

describe("replay offsets on the embedded log", () => {
  let dir: string;
  let t: EmbeddedTransport;
  /** a time after every record of the first send and before every record of the second */
  let between: number;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "sca-replay-"));
    t = EmbeddedTransport.open(dir, { fsync: false });
    await t.admin().createTopics([{ name: "responses", partitions: 2 }]);
    const p = await t.producer();
    // Keys chosen to land on both partitions; timestamps increase between the two sends.
    await p.send(Array.from({ length: 6 }, (_, i) => ({ topic: "responses", key: `k${i}`, value: Buffer.from("x") })));
    await new Promise((r) => setTimeout(r, 10));
    between = Date.now();
    await new Promise((r) => setTimeout(r, 10));
    await p.send(Array.from({ length: 6 }, (_, i) => ({ topic: "responses", key: `k${i}`, value: Buffer.from("y") })));
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("beginning is each partition's low, an offset is clamped to the log, a time finds the first later record", async () => {
    const admin = t.admin();
    const highs = Object.fromEntries((await admin.describeTopic("responses")).map((p) => [p.partition, Number(p.high)]));
    expect((await replayOffsets(admin, "responses", { kind: "beginning" })).map((o) => o.offset)).toEqual(["0", "0"]);
    const clamped = await replayOffsets(admin, "responses", { kind: "offset", offset: 1000n });
    expect(clamped.map((o) => Number(o.offset))).toEqual([highs[0], highs[1]]);
    const mid = await replayOffsets(admin, "responses", { kind: "time", ts: between });
    expect(mid.map((o) => Number(o.offset))).toEqual([highs[0] / 2, highs[1] / 2]);
  });
});
