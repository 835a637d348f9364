import { rmSync } from "node:fs";
import { type Database, type RootDatabase, open } from "lmdb";

interface Pending<V> {
  key: string;
  value: V;
  /** The input offset whose commit makes this write durable. */
  tag: bigint;
}

const CHECKPOINT = "checkpoint";

/**
 * The state of one input partition: committed values in an LMDB environment on disk, writes not yet
 * committed in memory on top. LMDB only ever holds what the changelog holds, together with a
 * checkpoint: a changelog offset below which every record is reflected. So a store that outlived
 * its process (killed or not) is valid, and a restart replays only the changelog from the checkpoint.
 */
export class PartitionStore<V> {
  private readonly env: RootDatabase;
  private readonly data: Database<V, string>;
  private readonly meta: Database<string, string>;
  /** Keys whose committed value satisfies the index predicate (e.g. open rounds), so a scan need not read every value. */
  private readonly indexDb: Database<true, string> | undefined;
  private readonly overlay = new Map<string, Pending<V>>();
  private pending: Pending<V>[] = [];

  constructor(
    readonly dir: string,
    private readonly indexed?: (v: V) => boolean,
  ) {
    // overlappingSync: a commit returns before its fsync, yet a crash still leaves the last synced
    // transaction intact; the changelog is the source of truth for anything newer.
    this.env = open({ path: dir, overlappingSync: true, maxDbs: 4 });
    this.data = this.env.openDB<V, string>({ name: "data" });
    this.meta = this.env.openDB<string, string>({ name: "meta" });
    this.indexDb = indexed ? this.env.openDB<true, string>({ name: "index" }) : undefined;
  }

  /** The changelog offset to replay from; undefined when the store is new. */
  get checkpoint(): bigint | undefined {
    const c = this.meta.get(CHECKPOINT);
    return c === undefined ? undefined : BigInt(c);
  }

  get(key: string): V | undefined {
    const p = this.overlay.get(key);
    return p ? p.value : this.data.get(key);
  }

  /** An uncommitted write, made durable by the commit of input offsets above `tag`. */
  put(key: string, value: V, tag: bigint): void {
    const p = { key, value, tag };
    this.overlay.set(key, p);
    this.pending.push(p);
  }

  /** Values of the indexed keys, uncommitted writes included. */
  indexedValues(): V[] {
    if (!this.indexDb || !this.indexed) throw new Error(`store ${this.dir} has no index`);
    const out: V[] = [];
    for (const key of this.indexDb.getKeys()) if (!this.overlay.has(key)) out.push(this.data.get(key) as V);
    for (const p of this.overlay.values()) if (this.indexed(p.value)) out.push(p.value);
    return out;
  }

  /** Committed values stored (uncommitted ones excluded). */
  get size(): number {
    return this.data.getCount();
  }

  /**
   * Inputs below `offset` were committed: their writes go to disk, with the checkpoint moved to
   * `changelogAt` (where the commit's changelog records began) when given, in one LMDB transaction.
   */
  committed(offset: bigint, changelogAt?: bigint): void {
    const flush: Pending<V>[] = [];
    const keep: Pending<V>[] = [];
    for (const p of this.pending) (p.tag < offset ? flush : keep).push(p);
    this.pending = keep;
    const at = changelogAt !== undefined && changelogAt > (this.checkpoint ?? -1n) ? changelogAt : undefined;
    if (flush.length === 0 && at === undefined) return;
    this.env.transactionSync(() => {
      for (const p of flush) this.write(p.key, p.value);
      if (at !== undefined) this.meta.putSync(CHECKPOINT, at.toString());
    });
    for (const p of flush) if (this.overlay.get(p.key) === p) this.overlay.delete(p.key);
  }

  /** Restored changelog records, committed by definition; `next` is the offset after the last. */
  restore(entries: Array<[string, V]>, next: bigint): void {
    this.env.transactionSync(() => {
      for (const [key, value] of entries) this.write(key, value);
      this.meta.putSync(CHECKPOINT, next.toString());
    });
  }

  private write(key: string, value: V): void {
    this.data.putSync(key, value);
    if (this.indexDb && this.indexed) {
      if (this.indexed(value)) this.indexDb.putSync(key, true);
      else this.indexDb.removeSync(key);
    }
  }

  /** Uncommitted writes vanish; what is on disk stays for the next owner on this machine. */
  async close(): Promise<void> {
    this.overlay.clear();
    this.pending = [];
    await this.env.close();
  }

  /** A store that cannot be trusted (its changelog was recreated): start over. */
  static wipe(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }
}
