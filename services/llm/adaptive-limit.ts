/**
 * Client-side concurrency that adapts to the server, AIMD-style with a latency signal.
 *
 * An inference server with continuous batching runs up to its slot count at roughly constant speed
 * per generated token; beyond that, requests queue and the time per token (as the client sees it)
 * rises. So: grow while the time per token stays near the best seen (slow start doubles per round,
 * then +1 per round), shrink a little when it rises past `tolerance` × best (a queue is forming) and
 * halve on overload (429, 5xx, timeouts). The result keeps the server's batch full with a short
 * queue, which is what keeps a GPU busy without overloading it.
 */
export interface AdaptiveLimitOptions {
  initial: number;
  min: number;
  max: number;
  /** per-token latency above tolerance × baseline counts as queueing. */
  tolerance?: number;
  /** factor applied when queueing is detected. */
  queueBackoff?: number;
  /** factor applied on overload errors. */
  overloadBackoff?: number;
  onChange?: (state: { limit: number; inFlight: number }) => void;
}

export type LimitOutcome =
  | { kind: "ok"; msPerToken: number }
  | { kind: "overload" }
  /** neither a latency sample nor an overload signal (e.g. a client-side abort, a 400). */
  | { kind: "ignore" };

export class AdaptiveLimit {
  private value: number;
  private active = 0;
  private readonly waiters: Array<{ wake: () => void }> = [];
  private baseline: number | undefined;
  private slowStart = true;
  private nextTicket = 0;
  /** requests sent before the last decrease saw the old congestion: they must not decrease again. */
  private decreasedAt = -1;
  private readonly tolerance: number;
  private readonly queueBackoff: number;
  private readonly overloadBackoff: number;

  constructor(private readonly opts: AdaptiveLimitOptions) {
    if (opts.min < 1 || opts.max < opts.min || opts.initial < opts.min || opts.initial > opts.max) {
      throw new Error(`adaptive limit needs 1 <= min <= initial <= max (got min=${opts.min}, initial=${opts.initial}, max=${opts.max})`);
    }
    this.value = opts.initial;
    this.tolerance = opts.tolerance ?? 1.5;
    this.queueBackoff = opts.queueBackoff ?? 0.9;
    this.overloadBackoff = opts.overloadBackoff ?? 0.5;
  }

  get limit(): number {
    return Math.floor(this.value);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Waits for a slot (FIFO); the ticket goes back to release(). Rejects with the signal's reason if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    if (this.active < this.limit && this.waiters.length === 0) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const waiter = {
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.take());
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(ticket: number, outcome: LimitOutcome): void {
    this.active--;
    if (outcome.kind === "ok") this.onLatency(ticket, outcome.msPerToken);
    else if (outcome.kind === "overload") this.decrease(ticket, this.overloadBackoff);
    this.changed();
    this.drain();
  }

  private take(): number {
    this.active++;
    this.changed();
    return this.nextTicket++;
  }

  private onLatency(ticket: number, ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    // The best time per token seen, allowed to drift up slowly so a server that got slower for good
    // (another model, fewer GPUs) does not pin the limit at its minimum forever.
    this.baseline = this.baseline === undefined ? ms : Math.min(ms, this.baseline * 1.001);
    if (ms > this.tolerance * this.baseline) this.decrease(ticket, this.queueBackoff);
    else if (this.value < this.opts.max) {
      this.value = Math.min(this.opts.max, this.value + (this.slowStart ? 1 : 1 / this.value));
    }
  }

  private decrease(ticket: number, factor: number): void {
    this.slowStart = false;
    if (ticket < this.decreasedAt) return;
    this.decreasedAt = this.nextTicket;
    this.value = Math.max(this.opts.min, this.value * factor);
  }

  private drain(): void {
    while (this.active < this.limit && this.waiters.length > 0) this.waiters.shift()!.wake();
  }

  private changed(): void {
    this.opts.onChange?.({ limit: this.limit, inFlight: this.active });
  }
}
