import { describe, expect, it } from "vitest";
import { OffsetTracker } from "../../services/runtime/offset-tracker.ts";

describe("OffsetTracker", () => {
  it("commits only the prefix below the first unfinished record, whatever the completion order", () => {
    const t = new OffsetTracker<string>();
    for (const o of [10n, 11n, 12n, 13n]) t.add(o);
    t.complete(12n, "c");
    t.complete(11n, "b");
    expect(t.ready()).toBeUndefined();
    t.complete(10n, "a");
    expect(t.ready()).toEqual({ results: ["a", "b", "c"], commitOffset: 13n });
    expect(t.size).toBe(4);
    expect(t.doneCount).toBe(3);
    t.release(13n);
    expect(t.size).toBe(1);
    expect(t.doneCount).toBe(0);
    expect(t.ready()).toBeUndefined();
    t.complete(13n, "d");
    expect(t.ready()).toEqual({ results: ["d"], commitOffset: 14n });
  });

  it("handles offset gaps (transaction markers, compaction): commits one past the last done record", () => {
    const t = new OffsetTracker<number>();
    t.add(3n);
    t.add(7n);
    t.complete(7n, 7);
    t.complete(3n, 3);
    expect(t.ready()?.commitOffset).toBe(8n);
  });

  it("keeps results released after a completion that arrived during a commit", () => {
    const t = new OffsetTracker<number>();
    t.add(0n);
    t.add(1n);
    t.complete(0n, 0);
    const snap = t.ready();
    t.complete(1n, 1);
    t.release(snap!.commitOffset);
    expect(t.ready()).toEqual({ results: [1], commitOffset: 2n });
  });

  it("refuses misuse loudly: decreasing offsets, double completion, releasing unfinished work", () => {
    const t = new OffsetTracker<number>();
    t.add(5n);
    expect(() => t.add(5n)).toThrow(/must increase/);
    expect(() => t.complete(6n, 0)).toThrow(/not tracked/);
    t.add(6n);
    t.complete(6n, 0);
    expect(() => t.complete(6n, 0)).toThrow(/completed twice/);
    expect(() => t.release(7n)).toThrow(/unfinished offset 5/);
  });

  it("stays compact over a long-lived partition", () => {
    const t = new OffsetTracker<number>();
    for (let i = 0n; i < 100_000n; i++) {
      t.add(i);
      t.complete(i, Number(i));
      if (i % 10n === 9n) t.release(t.ready()!.commitOffset);
    }
    expect(t.size).toBe(0);
    expect(t.lastOffset).toBe(99_999n);
  });
});
