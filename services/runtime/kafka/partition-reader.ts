import { randomUUID } from "node:crypto";
import type kafkajs from "kafkajs";
import type { LogRecord, OffsetCommit } from "../transport.ts";
import type { KafkaAdmin } from "./admin.ts";
import { toLogRecord } from "./stream-consumer.ts";

/**
 * How long a partition below its end may stay silent before it counts as read: with transactions
 * the last offsets are commit markers, which are never delivered, so "reached the end" cannot be
 * seen directly. Short, since a restore waits for it once.
 */
const QUIET_MS = 500;
/** A restore whose throwaway group never joins fails, so the runner rejoins instead of holding its partitions for ever. */
const JOIN_TIMEOUT_MS = 60_000;

/**
 * Reads partitions from given offsets to their ends as of the call, read-committed. kafkajs cannot
 * assign partitions by hand, so this joins a throwaway group that starts at the latest offsets and
 * seeks the wanted partitions back; it commits nothing and is deleted afterwards.
 */
export async function readPartitions(
  kafka: kafkajs.Kafka,
  admin: KafkaAdmin,
  topic: string,
  from: OffsetCommit[],
  onRecords: (records: LogRecord[]) => void | Promise<void>,
): Promise<void> {
  const highs = new Map((await admin.describeTopic(topic)).map((p) => [p.partition, BigInt(p.high)]));
  const todo = new Map<number, bigint>();
  for (const f of from) {
    const high = highs.get(f.partition);
    if (high === undefined) throw new Error(`topic "${topic}" has no partition ${f.partition}`);
    if (BigInt(f.offset) < high) todo.set(f.partition, high);
  }
  if (todo.size === 0) return;
  const groupId = `sca-restore-${topic}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  let lastAt = Date.now();
  let joined = false;
  let failed: unknown;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    lastAt = Date.now();
  });
  consumer.on(consumer.events.CRASH, (e) => {
    failed = e.payload.error;
    finish();
  });
  const startedAt = Date.now();
  const timer = setInterval(() => {
    if (joined && Date.now() - lastAt >= QUIET_MS) finish();
    if (!joined && Date.now() - startedAt > JOIN_TIMEOUT_MS) {
      failed = new Error(`reading ${topic}: the restore consumer did not join its group within ${JOIN_TIMEOUT_MS / 1000} s`);
      finish();
    }
  }, 50);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = todo.get(batch.partition);
        if (end === undefined) return;
        lastAt = Date.now();
        const records: LogRecord[] = [];
        for (const m of batch.messages) if (BigInt(m.offset) < end) records.push(toLogRecord(topic, batch.partition, m));
        if (records.length) await onRecords(records);
        if (BigInt(batch.messages[batch.messages.length - 1]?.offset ?? -1) >= end - 1n) todo.delete(batch.partition);
        if (todo.size === 0) finish();
      },
    });
    for (const f of from) if (todo.has(f.partition)) consumer.seek({ topic, partition: f.partition, offset: f.offset });
    await done;
    if (failed) throw failed;
  } finally {
    clearInterval(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroup(groupId).catch(() => undefined);
  }
}
