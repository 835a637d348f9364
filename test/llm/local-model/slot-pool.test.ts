import { describe, expect, it } from "vitest";
import { SlotPool } from "../../../services/llm/local-model/slot-pool.ts";

describe("SlotPool", () => {
  it("hands out free slots at once and queues the rest first come, first served", async () => {
    const pool = new SlotPool(["a", "b"]);
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect(new Set([first, second])).toEqual(new Set(["a", "b"]));
    const order: number[] = [];
    const w1 = pool.acquire().then((s) => (order.push(1), s));
    const w2 = pool.acquire().then((s) => (order.push(2), s));
    expect(pool.waiting).toBe(2);
    pool.release(first);
    expect(await w1).toBe(first);
    pool.release(second);
    expect(await w2).toBe(second);
    expect(order).toEqual([1, 2]);
    expect(pool.busy).toBe(2);
  });

  it("drops an aborted waiter without losing the slot", async () => {
    const pool = new SlotPool([1]);
    const held = await pool.acquire();
    const abort = new AbortController();
    const gaveUp = pool.acquire(abort.signal);
    const next = pool.acquire();
    abort.abort(new Error("client left"));
    await expect(gaveUp).rejects.toThrow("client left");
    pool.release(held);
    expect(await next).toBe(1);
    pool.release(1);
    expect(pool.busy).toBe(0);
    expect(pool.waiting).toBe(0);
  });

  it("fails every waiter on shutdown", async () => {
    const pool = new SlotPool([1]);
    await pool.acquire();
    const w = pool.acquire();
    pool.rejectAll(new Error("closing"));
    await expect(w).rejects.toThrow("closing");
    expect(pool.waiting).toBe(0);
  });
});
