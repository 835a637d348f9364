/**
 * Client-side concurrency that adapts to the server, AIMD-style with a latency signal.
 *
 * An inference server with continuous batching runs up to its slot count at roughly constant speed
 * per generated token; beyond that, requests queue and the time per token (as the client sees it)
 * rises. So: grow while the smoothed time per token stays near the best seen (slow start doubles
 * per round, then +1 per round), shrink a little when it rises past `tolerance` × best (a queue is
 * forming) and halve on overload (429, 5xx, timeouts). Smoothing matters: one request's time per
 * token varies with its length (fixed costs spread over few or many tokens) even on an idle server.
 * The result keeps the server's batch full with a short queue: a busy GPU, not an overloaded one.
 *
 * The limit counts sequences, not requests: a request for n samples takes n of the server's slots,
 * so it costs n here. A request costlier than the whole limit still goes alone.
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
  /** weight of the newest latency sample in the moving average. */
  smoothing?: number;
  onChange?: (state: { limit: number; inFlight: number }) => void;
}

export type LimitOutcome =
  | { kind: "ok"; msPerToken: number }
  | { kind: "overload" }
  /** neither a latency sample nor an overload signal (e.g. a client-side abort, a 400). */
  | { kind: "ignore" };

export class AdaptiveLimit {
  private value: number;
  /** requests in flight */
  private active = 0;
  /** sequences in flight: the sum of their costs */
  private used = 0;
  private readonly costs = new Map<number, number>();
  private readonly waiters: Array<{ cost: number; wake: () => void }> = [];
  private baseline: number | undefined;
  private smoothed: number | undefined;
  private slowStart = true;
  private nextTicket = 0;
  private readonly busyAtAcquire = new Set<number>();
  /** requests sent before the last decrease saw the old congestion: they must not decrease again. */
  private decreasedAt = -1;
  private readonly tolerance: number;
  private readonly queueBackoff: number;
  private readonly overloadBackoff: number;
  private readonly smoothing: number;

  constructor(private readonly opts: AdaptiveLimitOptions) {
    if (opts.min < 1 || opts.max < opts.min || opts.initial < opts.min || opts.initial > opts.max) {
      throw new Error(`adaptive limit needs 1 <= min <= initial <= max (got min=${opts.min}, initial=${opts.initial}, max=${opts.max})`);
    }
    this.value = opts.initial;
    this.tolerance = opts.tolerance ?? 1.5;
    this.queueBackoff = opts.queueBackoff ?? 0.9;
    this.overloadBackoff = opts.overloadBackoff ?? 0.5;
    this.smoothing = opts.smoothing ?? 0.2;
  }

  get limit(): number {
    return Math.floor(this.value);
  }

  /** requests in flight */
  get inFlight(): number {
    return this.active;
  }

  /** Waits for room for `cost` sequences (FIFO); the ticket goes back to release(). Rejects with the signal's reason if aborted while waiting. */
  acquire(signal?: AbortSignal, cost = 1): Promise<number> {
    signal?.throwIfAborted();
    if (this.waiters.length === 0 && this.fits(cost)) return Promise.resolve(this.take(cost));
    return new Promise((resolve, reject) => {
      const waiter = {
        cost,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.take(cost));
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
    const saturated = this.busyAtAcquire.delete(ticket);
    const cost = this.costs.get(ticket) ?? 1;
    this.costs.delete(ticket);
    this.active--;
    this.used -= cost;
    if (outcome.kind === "ok") this.onLatency(ticket, cost, outcome.msPerToken, saturated);
    else if (outcome.kind === "overload") this.decrease(ticket, this.overloadBackoff);
    this.changed();
    this.drain();
  }

  private fits(cost: number): boolean {
    return this.used === 0 || this.used + cost <= this.limit;
  }

  private take(cost: number): number {
    this.active++;
    this.used += cost;
    this.costs.set(this.nextTicket, cost);
    // Only a limit that is actually used says anything about the server's capacity: a request sent
    // while at least half the limit was in flight may grow it, an idle one may not.
    if (this.used * 2 >= this.value) this.busyAtAcquire.add(this.nextTicket);
    this.changed();
    return this.nextTicket++;
  }

  private onLatency(ticket: number, cost: number, ms: number, saturated: boolean): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    this.smoothed = this.smoothed === undefined ? ms : this.smoothed + this.smoothing * (ms - this.smoothed);
    // The best smoothed time per token, allowed to drift up slowly so a server that got slower for
    // good (another model, fewer GPUs) does not pin the limit at its minimum forever.
    this.baseline = this.baseline === undefined ? this.smoothed : Math.min(this.smoothed, this.baseline * 1.001);
    if (this.smoothed > this.tolerance * this.baseline) this.decrease(ticket, this.queueBackoff);
    else if (saturated && this.value < this.opts.max) {
      this.value = Math.min(this.opts.max, this.value + (this.slowStart ? cost : cost / this.value));
    }
  }

  private decrease(ticket: number, factor: number): void {
    if (ticket < this.decreasedAt) return;
    // Feedback lags a round, and slow start doubles per round: its first congestion signal arrives
    // with the limit up to twice what the server holds, so leaving slow start halves it (as TCP does).
    const f = this.slowStart ? Math.min(factor, 0.5) : factor;
    this.slowStart = false;
    this.decreasedAt = this.nextTicket;
    this.value = Math.max(this.opts.min, this.value * f);
  }

  private drain(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].cost)) this.waiters.shift()!.wake();
  }

  private changed(): void {
    this.opts.onChange?.({ limit: this.limit, inFlight: this.active });
  }
}
