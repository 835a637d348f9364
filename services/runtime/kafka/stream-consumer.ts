import { setTimeout as sleep } from "node:timers/promises";
import type kafkajs from "kafkajs";
import type { Logger } from "pino";
import { backoffDelay } from "../../shared/backoff.ts";
import type { ConsumerHandlers, ConsumerOptions, LogRecord, OffsetCommit, OutRecord, StreamConsumer, TopicPartition } from "../transport.ts";
import type { KafkaAdmin } from "./admin.ts";
import type { KafkaConfig } from "./config.ts";
import { isConsumerNotRunning, isTransient } from "./errors.ts";
import { TransactionalProducer } from "./transactional-producer.ts";

export function toLogRecord(topic: string, partition: number, m: kafkajs.KafkaMessage): LogRecord {
  const headers: Record<string, string> = {};
  if (m.headers)
    for (const k in m.headers) {
      const v = m.headers[k];
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(",") : v.toString();
    }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? null : m.key.toString(),
    value: m.value ?? Buffer.alloc(0),
    timestamp: Number(m.timestamp),
    headers,
  };
}

/** The transactional producer of an instance, for commits that span several partitions: the same instance id fences its predecessor. */
export function transactionalIdFor(groupId: string, instanceId: string): string {
  return `sca-${groupId}-${instanceId}`;
}

/**
 * The transactional producer of one input partition, whoever owns it: the next owner's producer
 * fences the previous owner's, even when that was another pod with another name (kafkajs has no
 * KIP-447 group-metadata fencing, so this is how Kafka Streams fenced before it).
 */
export function partitionTransactionalId(groupId: string, topic: string, partition: number): string {
  return `sca-${groupId}-${topic}-${partition}`;
}

/**
 * A kafkajs consumer (read_committed, no auto-commit) with one transactional producer per owned
 * input partition: commit() is one transaction holding the outputs and that partition's offset, and
 * commits of different partitions run concurrently. A new owner initialises the partition's producer
 * before it reads the committed offset, which fences the old owner and aborts its open transaction,
 * so the offset it resumes from is final. Commits naming several partitions (not the runner's) go
 * through a producer keyed by the instance id.
 *
 * kafkajs rebalances eagerly and, after every rejoin, restarts each assigned partition from the
 * group's committed offset. Partitions this member keeps across a rebalance are therefore not
 * reported as revoked, and the records it already delivered on them are filtered out, so the
 * runner's in-flight work stays valid and nothing is handed over twice.
 */
export class KafkaStreamConsumer implements StreamConsumer {
  private consumer?: kafkajs.Consumer;
  private handlers?: ConsumerHandlers;
  /** For commits naming several partitions at once. */
  private readonly producer: TransactionalProducer;
  private readonly partitionProducers = new Map<number, TransactionalProducer>();
  readonly commitScope = "partition" as const;
  /** Per owned partition: the next offset not yet handed to onRecords. */
  private readonly delivered = new Map<number, bigint>();
  private owned = new Set<number>();
  private readonly paused = new Set<number>();
  private assignment: Promise<void> = Promise.resolve();
  private relaunches = 0;
  private relaunchTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly kafka: kafkajs.Kafka,
    private readonly admin: KafkaAdmin,
    private readonly opts: ConsumerOptions & { instanceId: string },
    private readonly cfg: KafkaConfig,
    private readonly log: Logger,
  ) {
    this.producer = this.transactional(transactionalIdFor(opts.groupId, opts.instanceId));
  }

  private transactional(id: string): TransactionalProducer {
    const { admin, opts } = this;
    return new TransactionalProducer(this.kafka, id, {
      log: this.log,
      retryForMs: this.cfg.commitRetryMs,
      transactionTimeoutMs: this.cfg.transactionTimeoutMs,
      offsetsCommitted: async ({ groupId, offsets }) => {
        const committed = new Map((await admin.groupOffsets(groupId, opts.topic)).map((o) => [o.partition, BigInt(o.offset)]));
        return offsets.every((o) => o.topic === opts.topic && (committed.get(o.partition) ?? -1n) >= BigInt(o.offset));
      },
    });
  }

  private producerFor(partition: number): TransactionalProducer {
    let p = this.partitionProducers.get(partition);
    if (!p) {
      p = this.transactional(partitionTransactionalId(this.opts.groupId, this.opts.topic, partition));
      this.partitionProducers.set(partition, p);
    }
    return p;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    this.handlers = handlers;
    await this.launch();
  }

  /** One kafkajs consumer; replaced by a new one if it crashes for good, while our delivery state carries over. */
  private async launch(): Promise<void> {
    const { topic } = this.opts;
    const handlers = this.handlers as ConsumerHandlers;
    const c = this.kafka.consumer({
      groupId: this.opts.groupId,
      readUncommitted: false,
      sessionTimeout: this.cfg.sessionTimeoutMs,
      heartbeatInterval: this.cfg.heartbeatIntervalMs,
      maxWaitTimeInMs: this.cfg.maxWaitMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => !this.closing },
    });
    this.consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      if (this.consumer !== c) return;
      this.relaunches = 0;
      const partitions = e.payload.memberAssignment[topic] ?? [];
      // later batches wait for this, so onAssigned always precedes the partition's first records
      this.assignment = this.assignment
        .then(() => this.onAssignment(partitions, handlers))
        .catch((err) => {
          this.log.error({ err: (err as Error).message, topic }, "handling a partition assignment failed");
        });
    });
    // kafkajs restarts itself after retriable crashes only, and judges a refused connection once
    // its retries ran out non-retriable: a long broker outage would end consumption for good
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart && !this.closing && this.consumer === c) this.relaunch(e.payload.error);
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, isStale }) => {
        await this.assignment;
        if (isStale() || !this.owned.has(batch.partition)) return;
        const next = this.delivered.get(batch.partition) ?? 0n;
        const { messages } = batch;
        if (!messages.length) return;
        const last = BigInt(messages[messages.length - 1].offset);
        if (last < next) return;
        // offsets ascend within a batch: only a re-fetch overlaps what was delivered, and only at its start
        let from = 0;
        while (BigInt(messages[from].offset) < next) from++;
        this.delivered.set(batch.partition, last + 1n);
        const records = new Array<LogRecord>(messages.length - from);
        for (let i = from; i < messages.length; i++) records[i - from] = toLogRecord(batch.topic, batch.partition, messages[i]);
        await handlers.onRecords(records);
      },
    });
    // pauses asked for before this consumer ran (a relaunch)
    if (this.consumer === c) this.reapplyPauses();
  }

  /** A new kafkajs consumer (a relaunch, or kafkajs' own restart after a crash) starts with nothing paused; the runner's backpressure must not be lost. */
  private reapplyPauses(): void {
    const partitions = [...this.paused].filter((p) => this.owned.has(p));
    if (partitions.length) this.forward("pause", partitions);
  }

  /**
   * Pause or resume on the kafkajs consumer. kafkajs throws ("Consumer group was not initialized")
   * from the moment a crash stops its group until its own restart runs again, and before `run` of a
   * relaunched consumer: both happen around a broker outage while the runner keeps pausing and
   * resuming. `paused` stays the truth then, and is applied again at the next group join.
   */
  private forward(kind: "pause" | "resume", partitions: number[]): void {
    try {
      this.consumer?.[kind]([{ topic: this.opts.topic, partitions }]);
    } catch (e) {
      if (!isConsumerNotRunning(e)) throw e;
      this.log.debug({ kind, partitions, topic: this.opts.topic }, "consumer not running: pauses apply at the next group join");
    }
  }

  private relaunch(cause: unknown): void {
    this.relaunches++;
    const wait = backoffDelay(this.relaunches, { baseMs: 500, maxMs: 30_000 });
    const level = isTransient(cause) ? "warn" : "error";
    this.log[level](
      { err: (cause as Error)?.message, groupId: this.opts.groupId, topic: this.opts.topic, retryInMs: Math.round(wait) },
      "consumer stopped; starting a new one",
    );
    this.relaunchTimer = setTimeout(() => {
      if (this.closing) return;
      const old = this.consumer;
      void old
        ?.disconnect()
        .catch(() => undefined)
        .then(() => (this.closing ? undefined : this.launch()))
        .catch((e: unknown) => this.relaunch(e));
    }, wait);
  }

  private async onAssignment(partitions: number[], handlers: ConsumerHandlers): Promise<void> {
    const { topic, groupId } = this.opts;
    const now = new Set(partitions);
    const revoked = [...this.owned].filter((p) => !now.has(p));
    const added = partitions.filter((p) => !this.owned.has(p));
    for (const p of revoked) {
      this.delivered.delete(p);
      // A pause belongs to the ownership that asked for it. The runner forgets a revoked partition
      // (it pauses one assigned again only while it is paused as a whole), so a pause kept here or
      // inside kafkajs, whose pause state outlives the assignment, would hold the partition when it
      // comes back and nobody would ever resume it: it would stall for good.
      this.paused.delete(p);
      // after its last commit; the partition's next owner fences it anyway
      const producer = this.partitionProducers.get(p);
      this.partitionProducers.delete(p);
      void producer?.close().catch(() => undefined);
    }
    this.owned = now;
    if (revoked.length) {
      this.forward("resume", revoked);
      handlers.onRevoked?.(revoked.map((partition) => ({ topic, partition })));
    }
    this.reapplyPauses();
    if (!added.length) return;
    await Promise.all(added.map((p) => this.retrying(() => this.producerFor(p).ready())));
    const committed = new Map((await this.retrying(() => this.admin.groupOffsets(groupId, topic))).map((o) => [o.partition, o.offset]));
    const bounds = new Map((await this.retrying(() => this.admin.describeTopic(topic))).map((p) => [p.partition, p]));
    const resumes: OffsetCommit[] = added.map((partition) => {
      const b = bounds.get(partition);
      const start = committed.get(partition) ?? ((this.opts.fromBeginning ?? true) ? b?.low : b?.high) ?? "0";
      return { topic, partition, offset: start };
    });
    // Nothing below the reported start is handed out, so what the runner is told and what it gets
    // agree even when kafkajs, resolving "latest" by itself a moment earlier, starts lower.
    for (const r of resumes) this.delivered.set(r.partition, BigInt(r.offset));
    handlers.onAssigned?.(resumes);
  }

  /** Assignment lookups happen right after a rejoin, often right after a broker came back. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (this.closing || !isTransient(e) || Date.now() > deadline) throw e;
        await sleep(backoffDelay(attempt, { baseMs: 100, maxMs: 2_000 }));
      }
    }
  }

  pause(partitions: TopicPartition[]): void {
    const mine = partitions.filter((p) => p.topic === this.opts.topic).map((p) => p.partition);
    if (!mine.length) return;
    for (const p of mine) this.paused.add(p);
    this.forward("pause", mine);
  }

  resume(partitions: TopicPartition[]): void {
    const mine = partitions.filter((p) => p.topic === this.opts.topic).map((p) => p.partition);
    if (!mine.length) return;
    for (const p of mine) this.paused.delete(p);
    this.forward("resume", mine);
  }

  async commit(outputs: OutRecord[], offsets: OffsetCommit[]): Promise<OffsetCommit[] | undefined> {
    const foreign = offsets.find((o) => o.topic !== this.opts.topic);
    if (foreign) throw new Error(`commit: offset for topic "${foreign.topic}" but this consumer reads "${this.opts.topic}"`);
    const partitions = new Set(offsets.map((o) => o.partition));
    const producer = partitions.size === 1 ? this.producerFor(offsets[0].partition) : this.producer;
    return producer.run(outputs, { groupId: this.opts.groupId, offsets });
  }

  /** Set by the transport that tracks open clients. */
  onClose?: () => void;

  async close(): Promise<void> {
    this.onClose?.();
    this.closing = true;
    clearTimeout(this.relaunchTimer);
    await this.consumer?.disconnect();
    const producers = [this.producer, ...this.partitionProducers.values()];
    this.partitionProducers.clear();
    await Promise.all(producers.map((p) => p.close()));
  }
}
