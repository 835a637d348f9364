import { setTimeout as sleep } from "node:timers/promises";
import kafkajs from "./kafkajs.ts";
import type { Logger } from "pino";
import { backoffDelay } from "../../shared/backoff.ts";
import { JavaCompatiblePartitioner } from "../partitioner.ts";
import type { OffsetCommit, OutRecord } from "../transport.ts";
import { FencedError, isConcurrentTransactions, isFenced, isTransient } from "./errors.ts";

export interface GroupOffsets {
  groupId: string;
  offsets: OffsetCommit[];
}

/** Have these offsets (or later ones) been committed for the group? Answers the "did my commit land?" question. */
export type OffsetsCommitted = (g: GroupOffsets) => Promise<boolean>;

const RETRY_BACKOFF = { baseMs: 200, maxMs: 5_000 };

export function toTopicMessages(records: OutRecord[]): kafkajs.TopicMessages[] {
  const byTopic = new Map<string, kafkajs.Message[]>();
  for (const r of records) {
    const msgs = byTopic.get(r.topic) ?? [];
    msgs.push({ key: r.key, value: r.value, headers: r.headers });
    byTopic.set(r.topic, msgs);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function toOffsetTopics(offsets: OffsetCommit[]): kafkajs.TopicOffsets[] {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/**
 * One Kafka transactional producer, used one transaction at a time, that survives broker restarts.
 *
 * On any failure the kafkajs producer is thrown away and a new one with the same transactional id
 * is made: its InitProducerId makes the coordinator finish (or abort) whatever the old one left
 * open, which is the only way out of kafkajs' stuck COMMITTING state. A failure during commit has
 * an unknown outcome; when the transaction carried input offsets we look at the group's committed
 * offsets to tell whether it landed, so a retry never writes the outputs twice.
 */
export class TransactionalProducer {
  private producer?: Promise<kafkajs.Producer>;
  private tail: Promise<unknown> = Promise.resolve();
  private fenced?: FencedError;
  private closed = false;

  constructor(
    private readonly kafka: kafkajs.Kafka,
    readonly transactionalId: string,
    private readonly opts: { log: Logger; retryForMs: number; transactionTimeoutMs: number; offsetsCommitted: OffsetsCommitted },
  ) {}

  /**
   * Appends `records` and commits `group`'s offsets in one transaction. Calls are serialised.
   * Resolves with where the records began per partition, unless a retry found the commit had landed.
   */
  run(records: OutRecord[], group?: GroupOffsets): Promise<OffsetCommit[] | undefined> {
    const next = this.tail.then(() => this.runWithRetries(records, group));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runWithRetries(records: OutRecord[], group?: GroupOffsets): Promise<OffsetCommit[] | undefined> {
    const deadline = Date.now() + this.opts.retryForMs;
    for (let attempt = 1; ; attempt++) {
      if (this.fenced) throw this.fenced;
      if (this.closed) throw new Error(`producer "${this.transactionalId}" is closed`);
      let committing = false;
      try {
        const p = await this.connected();
        const txn = await p.transaction();
        if (attempt > 1 && group?.offsets.length && (await this.opts.offsetsCommitted(group))) {
          // the previous attempt's commit did land; this transaction is empty
          await txn.abort();
          return undefined;
        }
        const sent = records.length ? await txn.sendBatch({ topicMessages: toTopicMessages(records), acks: -1 }) : [];
        if (group?.offsets.length) await this.sendOffsets(txn, group);
        committing = true;
        await txn.commit();
        return sent.map((m) => ({ topic: m.topicName, partition: m.partition, offset: String(m.baseOffset) }));
      } catch (e) {
        if (isFenced(e)) {
          this.fenced = new FencedError(this.transactionalId, e);
          await this.discard();
          throw this.fenced;
        }
        await this.discard();
        if (!isTransient(e) || Date.now() >= deadline) throw e;
        const wait = backoffDelay(attempt, RETRY_BACKOFF);
        this.opts.log.warn(
          { transactionalId: this.transactionalId, attempt, committing, err: (e as Error).message, retryInMs: Math.round(wait) },
          "transaction failed; retrying with a new producer",
        );
        await sleep(wait);
      }
    }
  }

  /** kafkajs retries TxnOffsetCommit but not AddOffsetsToTxn, which answers CONCURRENT_TRANSACTIONS right after the previous commit. */
  private async sendOffsets(txn: kafkajs.Transaction, group: GroupOffsets): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await txn.sendOffsets({ consumerGroupId: group.groupId, topics: toOffsetTopics(group.offsets) });
        return;
      } catch (e) {
        if (!isConcurrentTransactions(e) || attempt >= 20) throw e;
        await sleep(backoffDelay(attempt, { baseMs: 20, maxMs: 500 }));
      }
    }
  }

  private connected(): Promise<kafkajs.Producer> {
    this.producer ??= (async () => {
      const p = this.kafka.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: this.opts.transactionTimeoutMs,
        allowAutoTopicCreation: false,
        // AddPartitionsToTxn answers CONCURRENT_TRANSACTIONS for a few ms after each commit (the
        // markers are still being written); kafkajs' default 300 ms first retry would throttle every
        // back-to-back transaction. The Java client retries this after 20 ms.
        retry: { initialRetryTime: 25, maxRetryTime: 5_000, retries: 15 },
        // murmur2 as the Java client does, and as the embedded log does
        createPartitioner: JavaCompatiblePartitioner,
      });
      await p.connect();
      return p;
    })();
    const p = this.producer;
    p.catch(() => {
      if (this.producer === p) this.producer = undefined;
    });
    return p;
  }

  private async discard(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    if (p) await (await p.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  /**
   * Takes the transactional id now: InitProducerId fences any other producer with this id and aborts
   * (or waits out the commit of) the transaction it left open. kafkajs' connect() asks for a producer
   * id without the transactional id, which fences nothing; only its first transaction asks with it,
   * so this runs an empty one (no request leaves for an empty transaction beyond InitProducerId).
   * Failures propagate; the next run() tries again.
   */
  async ready(): Promise<void> {
    await this.run([]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    await this.discard();
  }
}
