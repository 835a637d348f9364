interface Entry<T> {
  offset: bigint;
  done: boolean;
  result?: T;
}

export interface ReadyPrefix<T> {
  /** Results of the contiguous done records, in offset order. */
  results: T[];
  /** Offset to commit: one past the last done record of the prefix (Kafka's "next offset to read"). */
  commitOffset: bigint;
}

/**
 * Per-partition bookkeeping for parallel processing with ordered commits (the Confluent Parallel
 * Consumer idea): records complete in any order, but only the prefix below the first unfinished
 * record may be committed, and its results are released with that commit, never before.
 * Offsets may have gaps (transaction markers, compaction); only their order matters.
 */
export class OffsetTracker<T> {
  private entries: Entry<T>[] = [];
  private head = 0;
  private readonly index = new Map<bigint, Entry<T>>();
  private last: bigint | undefined;
  private done = 0;

  /** Records tracked and not yet released: queued, running, or done but held. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** Records done (committable or waiting behind an unfinished one) and not yet released. */
  get doneCount(): number {
    return this.done;
  }

  /** Offset of the last record added, if any. */
  get lastOffset(): bigint | undefined {
    return this.last;
  }

  add(offset: bigint): void {
    if (this.last !== undefined && offset <= this.last) throw new RangeError(`offset ${offset} added after ${this.last}: offsets must increase`);
    const e: Entry<T> = { offset, done: false };
    this.entries.push(e);
    this.index.set(offset, e);
    this.last = offset;
  }

  has(offset: bigint): boolean {
    return this.index.has(offset);
  }

  complete(offset: bigint, result: T): void {
    const e = this.index.get(offset);
    if (!e) throw new RangeError(`offset ${offset} is not tracked`);
    if (e.done) throw new RangeError(`offset ${offset} completed twice`);
    e.done = true;
    e.result = result;
    this.done++;
  }

  /** The committable prefix (at most `limit` records), or undefined when the oldest record is still unfinished. Does not remove it. */
  ready(limit = Infinity): ReadyPrefix<T> | undefined {
    const results: T[] = [];
    let i = this.head;
    while (i < this.entries.length && this.entries[i].done && results.length < limit) results.push(this.entries[i++].result as T);
    if (i === this.head) return undefined;
    return { results, commitOffset: this.entries[i - 1].offset + 1n };
  }

  /** Forgets every record below `commitOffset`, once its commit has succeeded. */
  release(commitOffset: bigint): void {
    while (this.head < this.entries.length && this.entries[this.head].offset < commitOffset) {
      const e = this.entries[this.head];
      if (!e.done) throw new RangeError(`release(${commitOffset}) would drop unfinished offset ${e.offset}`);
      this.index.delete(e.offset);
      e.result = undefined;
      this.head++;
      this.done--;
    }
    // Compact now and then so the array does not grow without bound on a long-lived partition.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
