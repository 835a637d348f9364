import { describe, expect, it } from "vitest";
import { TOPICS, dlqSpec } from "../../schemas/topics.ts";
import { differences, formatRetention, table } from "../../services/cli/catalogue-report.ts";

describe("catalogue vs cluster comparison", () => {
  it("names each difference, and accepts a deliberate scale-out", () => {
    const spec = TOPICS.instructions;
    expect(differences(spec, undefined)).toEqual(["missing"]);
    expect(differences(spec, { partitions: 12, retentionMs: -1, compacted: false })).toEqual([]);
    expect(differences(spec, { partitions: 24, retentionMs: -1, compacted: false })).toEqual([]);
    expect(differences(spec, { partitions: 3, retentionMs: 604_800_000, compacted: true })).toEqual([
      "partitions 3 < 12",
      "retention 7d (want forever)",
      "compacted",
    ]);
    expect(differences(TOPICS.seeds, { partitions: 6, retentionMs: -1, compacted: false })).toEqual(["not compacted"]);
  });

  it("formats retention and tables", () => {
    expect(formatRetention(-1)).toBe("forever");
    expect(formatRetention(dlqSpec("seeds").retentionMs)).toBe("28d");
    expect(formatRetention(1500)).toBe("1500ms");
    expect(table(["a", "bb"], [["xxx", "y"]])).toBe("a    bb\nxxx  y");
  });
});
