import { describe, expect, it } from "vitest";
import { compact, materialize } from "../../services/stages/sink/materialize.ts";
import { sample } from "./rows.ts";

const ids = (rows: { instruction_id: string; response_id: string }[]) => rows.map((r) => r.response_id);

describe("materialize", () => {
  it("adds rows in order, ignores a record already exported, keeps unchanged rows in place", () => {
    const one = materialize([], [sample("a"), sample("b")]);
    expect(ids(one)).toEqual([sample("a").response_id, sample("b").response_id]);
    const two = materialize(one, [sample("b"), sample("c"), sample("a")]);
    expect(ids(two)).toEqual([sample("a"), sample("b"), sample("c")].map((s) => s.response_id));
  });

  it("a re-selection replaces the instruction's row; a retraction removes it", () => {
    const rows = materialize([], [sample("a", 0), sample("b", 0)]);
    expect(ids(materialize(rows, [sample("a", 2)]))).toEqual([sample("a", 2).response_id, sample("b", 0).response_id]);
    expect(ids(materialize(rows, [sample("a", 0, { retracted: true })]))).toEqual([sample("b", 0).response_id]);
    // A retraction of a row that is no longer the current one changes nothing.
    expect(ids(materialize(rows, [sample("a", 3, { retracted: true })]))).toEqual(ids(rows));
  });

  it("leaves deduplication to curation: instructions equal up to whitespace both stay", () => {
    const x = sample("x", 0, { instruction: "Write  a\nparser." });
    const y = sample("y", 0, { instruction: "Write a parser." });
    expect(ids(materialize([], [x, y]))).toEqual([x.response_id, y.response_id]);
  });

  it("compact keeps the last record per instruction", () => {
    const c = compact([sample("a", 0), sample("b", 0), sample("a", 0, { retracted: true })]);
    expect(c.map((r) => [r.response_id, r.retracted ?? false])).toEqual([
      [sample("b").response_id, false],
      [sample("a").response_id, true],
    ]);
  });
});
