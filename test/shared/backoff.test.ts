import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../services/shared/backoff.ts";

describe("backoffDelay", () => {
  const policy = { baseMs: 100, maxMs: 1_000 };

  it("doubles per retry, with jitter in the upper half of the step, and is capped", () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(30, policy, () => 1)).toBe(1_000);
    expect(backoffDelay(30, policy, () => 0)).toBe(500);
  });

  it("spreads concurrent retries (jitter is real)", () => {
    const ds = new Set(Array.from({ length: 50 }, () => backoffDelay(4, policy)));
    expect(ds.size).toBeGreaterThan(40);
    for (const d of ds) {
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it("rejects a retry number that is not a positive integer", () => {
    expect(() => backoffDelay(0, policy)).toThrow(/retry must be an integer >= 1 \(got 0\)/);
  });
});
