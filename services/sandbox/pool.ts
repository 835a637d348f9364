/** A warm sandbox process that runs one program at a time. */
export interface Worker {
  readonly id: string;
  /** Executions served so far. */
  runs: number;
  readonly alive: boolean;
  close(): Promise<void>;
}

/**
 * A fixed-size pool of warm workers: one execution per worker at a time, workers started lazily (or
 * all at once by warm()), replaced after `maxRuns` executions or whenever the caller reports an anomaly.
 */
export class WorkerPool<W extends Worker> {
  private idle: W[] = [];
  private size = 0;
  private waiters: Array<{ resolve(w: W): void; reject(e: unknown): void }> = [];
  private closing = false;
  private retiring = new Set<Promise<void>>();

  constructor(
    private readonly spawn: () => Promise<W>,
    readonly capacity: number,
    private readonly maxRuns: number,
  ) {}

  async warm(): Promise<void> {
    const fresh = await Promise.all(Array.from({ length: this.capacity - this.size }, () => this.grow()));
    for (const w of fresh) this.release(w, false);
  }

  acquire(): Promise<W> {
    if (this.closing) return Promise.reject(new Error("sandbox is closed"));
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.size < this.capacity) return this.grow();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Hands a worker back; `retire` (or a dead or worn-out worker) replaces it. */
  release(w: W, retire: boolean): void {
    if (retire || !w.alive || w.runs >= this.maxRuns || this.closing) {
      this.size--;
      const p = w.close().catch(() => {});
      this.retiring.add(p);
      void p.finally(() => this.retiring.delete(p));
      const next = this.waiters.shift();
      if (next) this.grow().then(next.resolve, next.reject);
      return;
    }
    const next = this.waiters.shift();
    if (next) next.resolve(w);
    else this.idle.push(w);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error("sandbox is closed"));
    const idle = this.idle.splice(0);
    this.size -= idle.length;
    await Promise.all([...idle.map((w) => w.close().catch(() => {})), ...this.retiring]);
  }

  private async grow(): Promise<W> {
    this.size++;
    try {
      return await this.spawn();
    } catch (e) {
      this.size--;
      throw e;
    }
  }
}
