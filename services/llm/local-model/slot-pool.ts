/**
 * A fixed set of slots (here: llama.cpp context sequences) handed out first come, first served.
 * Requests beyond the slot count wait in FIFO order instead of being refused, like vLLM's waiting queue.
 */
export class SlotPool<T> {
  readonly size: number;
  private readonly free: T[];
  private readonly waiters: { resolve: (slot: T) => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort: () => void }[] = [];

  constructor(slots: T[]) {
    if (slots.length === 0) throw new Error("SlotPool needs at least one slot");
    this.free = [...slots];
    this.size = slots.length;
  }

  get busy(): number {
    return this.size - this.free.length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(slot: T): void {
    const next = this.waiters.shift();
    if (!next) {
      this.free.push(slot);
      return;
    }
    next.signal?.removeEventListener("abort", next.onAbort);
    next.resolve(slot);
  }

  /** Fails every waiter: used on shutdown so no request hangs forever. */
  rejectAll(reason: unknown): void {
    for (const w of this.waiters.splice(0)) {
      w.signal?.removeEventListener("abort", w.onAbort);
      w.reject(reason);
    }
  }
}
