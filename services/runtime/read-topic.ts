import { randomUUID } from "node:crypto";
import type { LogRecord, Transport } from "./transport.ts";

export interface ReadTopicOptions {
  /**
   * Kafka only: how long a partition may stay silent below its high watermark before it counts as
   * read. Transaction markers occupy offsets that are never delivered, so the last offset before
   * the high watermark may never arrive.
   */
  quietMs?: number;
}

/**
 * Reads every record a topic holds now (up to each partition's high watermark when the read
 * starts), in offset order per partition, through a throwaway consumer group.
 */
export async function readTopic(transport: Transport, topic: string, onRecord: (r: LogRecord) => void, opts: ReadTopicOptions = {}): Promise<number> {
  const admin = transport.admin();
  if (!(await admin.listTopics()).includes(topic)) return 0;
  const highs = new Map<number, bigint>();
  for (const p of await admin.describeTopic(topic)) if (BigInt(p.high) > BigInt(p.low)) highs.set(p.partition, BigInt(p.high));
  if (highs.size === 0) return 0;
  const groupId = `sca-read-${topic}-${randomUUID()}`;
  const consumer = await transport.consumer({ groupId, topic, fromBeginning: true });
  const quietMs = opts.quietMs ?? (transport.kind === "kafka" ? 3_000 : Infinity);
  let count = 0;
  let lastAt = Date.now();
  let started = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const remaining = new Set(highs.keys());
  await consumer.start({
    onRecords: async (records) => {
      started = true;
      lastAt = Date.now();
      for (const r of records) {
        const high = highs.get(r.partition);
        if (high === undefined || BigInt(r.offset) >= high) continue;
        onRecord(r);
        count++;
        if (BigInt(r.offset) >= high - 1n) remaining.delete(r.partition);
      }
      if (remaining.size === 0) finish();
    },
  });
  const timer = setInterval(() => {
    if (started && Date.now() - lastAt >= quietMs) finish();
  }, 100);
  try {
    await done;
  } finally {
    clearInterval(timer);
    await consumer.close();
    await admin.deleteGroup(groupId).catch(() => {});
  }
  return count;
}
