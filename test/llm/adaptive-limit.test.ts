import { describe, expect, it } from "vitest";
import { AdaptiveLimit } from "../../services/llm/adaptive-limit.ts";

async function round(l: AdaptiveLimit, msPerToken: number): Promise<void> {
  const tickets: number[] = [];
  for (let i = l.limit; i > 0; i--) tickets.push(await l.acquire());
  for (const t of tickets) l.release(t, { kind: "ok", msPerToken });
}

describe("AdaptiveLimit", () => {
  it("doubles per round while latency holds, then stops growing and backs off when a queue forms", async () => {
    const l = new AdaptiveLimit({ initial: 2, min: 1, max: 1000 });
    await round(l, 10);
    expect(l.limit).toBe(4);
    await round(l, 10);
    expect(l.limit).toBe(8);
    await round(l, 20); // 2x the best seen: queueing
    expect(l.limit).toBe(7); // one decrease per round, by 0.9
    await round(l, 10);
    expect(l.limit).toBe(8); // additive now: about +1 per round
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
