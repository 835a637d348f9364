import type { Candidate } from "./candidate.ts";
import type { ChainFilter } from "./filters/filter.ts";
import type { Funnel } from "./funnel.ts";

/**
 * Runs candidates through the filters in order. A batch filter collects `batchSize` candidates and
 * checks them while the caller goes on extracting (one batch per filter in flight), then sends
 * the survivors on in their original order: output order never depends on timing.
 */
export class FilterChain {
  private readonly buffers: Candidate[][];
  private readonly inflight: Array<Promise<void> | undefined>;

  constructor(
    private readonly filters: readonly ChainFilter[],
    private readonly funnel: Funnel,
    private readonly batchSize: number,
    private readonly onPass: (c: Candidate) => Promise<void>,
  ) {
    this.buffers = filters.map(() => []);
    this.inflight = filters.map(() => undefined);
  }

  push(c: Candidate): Promise<void> {
    return this.runFrom(c, 0);
  }

  /** Drains every batch, in chain order (a drained batch may fill a later one). */
  async finish(): Promise<void> {
    for (let k = 0; k < this.filters.length; k++) {
      await this.flushBatch(k);
      await this.inflight[k];
    }
  }

  private async runFrom(c: Candidate, from: number): Promise<void> {
    for (let k = from; k < this.filters.length; k++) {
      const f = this.filters[k];
      if (f.kind === "batch") {
        this.buffers[k].push(c);
        if (this.buffers[k].length >= this.batchSize) await this.flushBatch(k);
        return;
      }
      this.funnel.filter(f.name).in++;
      const why = f.check(c);
      if (why !== null) {
        this.funnel.drop(f.name, where(c), why);
        return;
      }
    }
    await this.onPass(c);
  }

  private async flushBatch(k: number): Promise<void> {
    const f = this.filters[k];
    const batch = this.buffers[k];
    if (f.kind !== "batch" || batch.length === 0) return;
    this.buffers[k] = [];
    await this.inflight[k];
    const done = f.checkBatch(batch).then(async (outcomes) => {
      const count = this.funnel.filter(f.name);
      for (let i = 0; i < batch.length; i++) {
        count.in++;
        const why = outcomes[i];
        if (why === null || why === undefined) await this.runFrom(batch[i], k + 1);
        else this.funnel.drop(f.name, where(batch[i]), why);
      }
    });
    done.catch(() => {}); // awaited by the next flush or by finish(), which see the error
    this.inflight[k] = done;
  }
}

function where(c: Candidate): string {
  return `${c.source.repo}/${c.source.path}:${c.fn.start_line} ${c.fn.name}`;
}
