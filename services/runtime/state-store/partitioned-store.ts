import { join } from "node:path";
import type { Logger } from "pino";
import type { Codec } from "../codec.ts";
import { keyPartition } from "../partitioner.ts";
import type { OffsetCommit, Transport } from "../transport.ts";
import { PartitionStore } from "./partition-store.ts";

export interface PartitionedStoreOptions<V> {
  /** Folder of this store's partitions on local disk. */
  dir: string;
  /** The compacted topic holding every committed value, co-partitioned with `input`. */
  changelog: string;
  input: string;
  transport: Transport;
  codec: Codec;
  log: Logger;
  /** Keys whose value satisfies this are listed cheaply (indexedValues). */
  index?: (v: V) => boolean;
}

/** Changelog records decoded per LMDB transaction during a restore. */
const RESTORE_BATCH = 5_000;

/**
 * A state store partitioned like a stage's input (the Kafka Streams model): partition p of the
 * changelog holds the state of input partition p. A member restores only the partitions it is
 * assigned, from the local checkpoint when its disk still has them, and closes them on revocation.
 * Writes are tagged with the input offset that produced them and reach disk only once that input
 * is committed, so the disk never holds what the changelog does not.
 */
export class PartitionedStore<V> {
  private readonly owned = new Map<number, PartitionStore<V>>();
  /** Bumped per partition on every drop, so a restore that finishes after a revocation knows it is stale. */
  private readonly generation = new Map<number, number>();
  private checked: Promise<number> | undefined;
  /** Stores being closed: a partition's environment is reopened only after its close finished. */
  private readonly closing = new Map<number, Promise<void>>();

  constructor(private readonly o: PartitionedStoreOptions<V>) {}

  /** The store of an owned partition. */
  partition(p: number): PartitionStore<V> {
    const s = this.owned.get(p);
    if (!s) throw new Error(`state of ${this.o.input}[${p}] is not restored on this member`);
    return s;
  }

  ownedPartitions(): number[] {
    return [...this.owned.keys()];
  }

  /** Restores these partitions (all at once, one changelog read) before the runner processes them. */
  async assign(partitions: number[]): Promise<void> {
    const count = await (this.checked ??= this.checkCoPartitioned().catch((e: unknown) => {
      this.checked = undefined;
      throw e;
    }));
    const gens = new Map(partitions.map((p) => [p, this.generation.get(p) ?? 0]));
    await Promise.all(partitions.map((p) => this.closing.get(p)));
    const highs = new Map((await this.o.transport.admin().describeTopic(this.o.changelog)).map((i) => [i.partition, BigInt(i.high)]));
    const opening = new Map<number, PartitionStore<V>>();
    const from: OffsetCommit[] = [];
    for (const p of partitions) {
      const dir = join(this.o.dir, `p${p}`);
      let store = new PartitionStore<V>(dir, this.o.index);
      const high = highs.get(p) ?? 0n;
      if ((store.checkpoint ?? 0n) > high) {
        // The changelog is shorter than what this disk saw: it was recreated. Nothing here is trustworthy.
        this.o.log.warn(
          { partition: p, checkpoint: String(store.checkpoint), high: String(high) },
          "local state is ahead of its changelog; restoring from scratch",
        );
        await store.close();
        PartitionStore.wipe(dir);
        store = new PartitionStore<V>(dir, this.o.index);
      }
      opening.set(p, store);
      from.push({ topic: this.o.changelog, partition: p, offset: String(store.checkpoint ?? 0n) });
    }
    const started = Date.now();
    let replayed = 0;
    const batches = new Map<number, { entries: Array<[string, V]>; next: bigint }>();
    const flush = (p: number) => {
      const b = batches.get(p);
      if (!b?.entries.length) return;
      opening.get(p)!.restore(b.entries, b.next);
      b.entries = [];
    };
    try {
      await this.o.transport.readPartitions(this.o.changelog, from, async (records) => {
        for (const r of records) {
          if (r.key === null) continue;
          if (keyPartition(r.key, count) !== r.partition) {
            throw new Error(
              `${this.o.changelog}[${r.partition}] holds key "${r.key}", which the partitioner puts in partition ${keyPartition(r.key, count)}: the changelog is not partitioned like ${this.o.input}`,
            );
          }
          const value = (await this.o.codec.decode(this.o.changelog, r.value)) as V;
          let b = batches.get(r.partition);
          if (!b) batches.set(r.partition, (b = { entries: [], next: 0n }));
          b.entries.push([r.key, value]);
          b.next = BigInt(r.offset) + 1n;
          replayed++;
          if (b.entries.length >= RESTORE_BATCH) flush(r.partition);
        }
      });
      for (const p of batches.keys()) flush(p);
    } catch (e) {
      await Promise.all([...opening.values()].map((s) => s.close()));
      throw e;
    }
    for (const [p, store] of opening) {
      if ((this.generation.get(p) ?? 0) !== gens.get(p)) {
        await store.close();
        continue;
      }
      await this.owned.get(p)?.close();
      this.owned.set(p, store);
    }
    this.o.log.info({ store: this.o.changelog, partitions, replayed, ms: Date.now() - started }, "state restored");
  }

  /** Revoked: close the partitions' stores, forgetting their uncommitted writes. */
  drop(partitions: number[]): void {
    for (const p of partitions) {
      this.generation.set(p, (this.generation.get(p) ?? 0) + 1);
      const s = this.owned.get(p);
      this.owned.delete(p);
      if (!s) continue;
      const closed = s.close().finally(() => {
        if (this.closing.get(p) === closed) this.closing.delete(p);
      });
      this.closing.set(p, closed);
    }
  }

  /** The runner's commit report: flush the partition's committed writes, move its checkpoint. */
  committed(partition: number, offset: bigint, appended: OffsetCommit[] | undefined): void {
    const at = appended?.find((a) => a.topic === this.o.changelog && a.partition === partition);
    this.owned.get(partition)?.committed(offset, at ? BigInt(at.offset) : undefined);
  }

  async close(): Promise<void> {
    const stores = [...this.owned.values()];
    this.owned.clear();
    await Promise.all([...stores.map((s) => s.close()), ...this.closing.values()]);
  }

  /** Same partition count as the input (the key and partitioner are checked per record on restore). */
  private async checkCoPartitioned(): Promise<number> {
    const admin = this.o.transport.admin();
    const [input, changelog] = await Promise.all([admin.describeTopic(this.o.input), admin.describeTopic(this.o.changelog)]);
    if (input.length !== changelog.length || input.length === 0) {
      throw new Error(
        `${this.o.changelog} has ${changelog.length} partitions and ${this.o.input} has ${input.length}: a changelog must be co-partitioned with its input (same partition count, same key)`,
      );
    }
    return input.length;
  }
}
