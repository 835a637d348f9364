import { randomUUID } from "node:crypto";
import type kafkajs from "kafkajs";
import type { LogRecord, OffsetCommit } from "../transport.ts";
import type { KafkaAdmin } from "./admin.ts";
import { toLogRecord } from "./stream-consumer.ts";

/** A restore whose throwaway group never joins fails, so the runner rejoins instead of holding its partitions for ever. */
const JOIN_TIMEOUT_MS = 60_000;
/** Likewise a read that stops moving (no batch at all for this long) fails: it never returns short. */
const STALL_MS = 60_000;

/**
 * Reads partitions from given offsets to their ends as of the call, read-committed. kafkajs cannot
 * assign partitions by hand, so this joins a throwaway group that starts at the latest offsets and
 * seeks the wanted partitions back; it commits nothing and is deleted afterwards.
 *
 * A partition is read when kafkajs has consumed its offset end - 1. With transactions that offset is
 * often a commit marker, which no record stands for: kafkajs reports it only in its batch events
 * (a batch of markers alone reaches no eachBatch), so those decide, never a pause in the records.
 */
export async function readPartitions(
  kafka: kafkajs.Kafka,
  admin: KafkaAdmin,
  topic: string,
  from: OffsetCommit[],
  onRecords: (records: LogRecord[]) => void | Promise<void>,
): Promise<void> {
  const highs = new Map((await admin.describeTopic(topic)).map((p) => [p.partition, BigInt(p.high)]));
  /** Per partition to read: its end (exclusive); `todo` keeps those not read to the end yet. */
  const ends = new Map<number, bigint>();
  for (const f of from) {
    const high = highs.get(f.partition);
    if (high === undefined) throw new Error(`topic "${topic}" has no partition ${f.partition}`);
    if (BigInt(f.offset) < high) ends.set(f.partition, high);
  }
  if (ends.size === 0) return;
  const todo = new Set(ends.keys());
  const groupId = `sca-restore-${topic}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  let movedAt = Date.now();
  let joined = false;
  let failed: unknown;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const fail = (e: unknown) => {
    failed ??= e;
    finish();
  };
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    movedAt = Date.now();
  });
  consumer.on(consumer.events.CRASH, (e) => fail(e.payload.error));
  consumer.on(consumer.events.START_BATCH_PROCESS, () => void (movedAt = Date.now()));
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    movedAt = Date.now();
    const { partition, firstOffset, lastOffset } = e.payload;
    const end = ends.get(partition);
    // A batch from the group's start (the log's end, before the seek applied) begins at or past `end`: it proves nothing.
    if (end === undefined || firstOffset === null || BigInt(firstOffset) >= end) return;
    if (BigInt(lastOffset) >= end - 1n) todo.delete(partition);
    if (todo.size === 0) finish();
  });
  const startedAt = Date.now();
  const timer = setInterval(() => {
    if (!joined && Date.now() - startedAt > JOIN_TIMEOUT_MS)
      fail(new Error(`reading ${topic}: the restore consumer did not join its group within ${JOIN_TIMEOUT_MS / 1000} s`));
    if (joined && Date.now() - movedAt > STALL_MS)
      fail(new Error(`reading ${topic}: partitions ${[...todo].join(", ")} not read to their end, nothing fetched for ${STALL_MS / 1000} s`));
  }, 250);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        if (end === undefined) return;
        const records: LogRecord[] = [];
        for (const m of batch.messages) if (BigInt(m.offset) < end) records.push(toLogRecord(topic, batch.partition, m));
        if (records.length) await onRecords(records);
      },
    });
    for (const p of todo) consumer.seek({ topic, partition: p, offset: from.find((f) => f.partition === p)!.offset });
    await done;
    if (failed) throw failed;
  } finally {
    clearInterval(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroup(groupId).catch(() => undefined);
  }
}
