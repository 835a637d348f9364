import { describe, expect, it } from "vitest";
import { AdaptiveLimit } from "../../services/llm/adaptive-limit.ts";

async function round(l: AdaptiveLimit, msPerToken: number): Promise<void> {
  const tickets: number[] = [];
  for (let i = l.limit; i > 0; i--) tickets.push(await l.acquire());
  for (const t of tickets) l.release(t, { kind: "ok", msPerToken });
}

describe("AdaptiveLimit", () => {
  it("grows about geometrically while latency holds, halves when a queue first forms, then backs off gently and grows by about one per round", async () => {
    const l = new AdaptiveLimit({ initial: 4, min: 1, max: 1000 });
    const sizes = [l.limit];
    for (let r = 0; r < 4; r++) {
      await round(l, 10);
      sizes.push(l.limit);
    }
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThanOrEqual(Math.floor(sizes[i - 1] * 1.5));
    const before = l.limit;
    await round(l, 25); // 2.5x the best seen: queueing ends slow start, which overshot by up to 2x
    expect(l.limit).toBeLessThanOrEqual(Math.ceil(before * 0.5) + 3);
    const after = l.limit;
    for (let r = 0; r < 2; r++) await round(l, 25);
    expect(l.limit).toBeLessThan(after);
    expect(l.limit).toBeGreaterThan(after * 0.75); // then gentle: 0.9 per round, not a collapse
    for (let r = 0; r < 3; r++) await round(l, 10); // the average settles back
    const settled = l.limit;
    await round(l, 10);
    expect(l.limit - settled).toBeLessThanOrEqual(1); // additive now
    expect(l.limit).toBeGreaterThanOrEqual(settled);
  });

  it("does not grow a limit that is not used", async () => {
    const l = new AdaptiveLimit({ initial: 10, min: 1, max: 1000 });
    for (let i = 0; i < 50; i++) l.release(await l.acquire(), { kind: "ok", msPerToken: 10 });
    expect(l.limit).toBe(10);
  });

  it("smooths per-request noise: lengths that vary latency by ±40% do not read as queueing", async () => {
    const l = new AdaptiveLimit({ initial: 8, min: 1, max: 64 });
    let x = 0;
    for (let r = 0; r < 30; r++) {
      const tickets: number[] = [];
      for (let i = l.limit; i > 0; i--) tickets.push(await l.acquire());
      for (const t of tickets) l.release(t, { kind: "ok", msPerToken: 10 * (1 + 0.4 * Math.sin(x++)) });
    }
    expect(l.limit).toBe(64);
  });

  it("halves on overload and never goes under min", async () => {
    const l = new AdaptiveLimit({ initial: 16, min: 3, max: 64 });
    const sent: number[] = [];
    for (let i = 0; i < 16; i++) sent.push(await l.acquire());
    l.release(sent[0], { kind: "overload" });
    expect(l.limit).toBe(8);
    for (const t of sent.slice(1)) l.release(t, { kind: "overload" }); // sent before the decrease: ignored
    expect(l.limit).toBe(8);
    for (let r = 0; r < 5; r++) {
      const tickets: number[] = [];
      for (let i = l.limit; i > 0; i--) tickets.push(await l.acquire());
      for (const t of tickets) l.release(t, { kind: "overload" });
    }
    expect(l.limit).toBe(3);
  });

  it("queues acquirers FIFO beyond the limit and lets an aborted waiter go", async () => {
    const l = new AdaptiveLimit({ initial: 1, min: 1, max: 1 });
    const first = await l.acquire();
    const order: number[] = [];
    const ac = new AbortController();
    let second = -1;
    const a = l.acquire().then((t) => {
      second = t;
      order.push(1);
    });
    const b = l.acquire(ac.signal).then(
      () => order.push(2),
      () => order.push(-2),
    );
    const c = l.acquire().then(() => order.push(3));
    ac.abort(new Error("gone"));
    await b;
    l.release(first, { kind: "ignore" });
    await a;
    l.release(second, { kind: "ignore" });
    await c;
    expect(order).toEqual([-2, 1, 3]);
    expect(l.inFlight).toBe(1);
  });

  it("rejects an inconsistent configuration", () => {
    expect(() => new AdaptiveLimit({ initial: 10, min: 1, max: 5 })).toThrow(/initial=10/);
  });
});

describe("AdaptiveLimit in sequences", () => {
  it("charges a request for n samples n slots, and still lets one through alone when n exceeds the limit", async () => {
    const l = new AdaptiveLimit({ initial: 12, min: 1, max: 100 });
    const a = await l.acquire(undefined, 10);
    let second = false;
    const b = l.acquire(undefined, 10).then((t) => ((second = true), t));
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBe(false); // 10 + 10 > 12
    expect(l.inFlight).toBe(1);
    l.release(a, { kind: "ignore" });
    l.release(await b, { kind: "ignore" });
    const big = await l.acquire(undefined, 50); // more than the whole limit, but nothing else in flight
    l.release(big, { kind: "ignore" });
  });
});
