import { setTimeout as sleep } from "node:timers/promises";
import { DlqEnvelope } from "../../schemas/records.ts";
import type { Codec } from "../runtime/codec.ts";
import type { LogRecord, OffsetCommit, OutRecord, Transport } from "../runtime/transport.ts";
import { dlqOf } from "./dlq-inspect.ts";

export type DlqReason = DlqEnvelope["reason"];
export const DLQ_REASONS: readonly DlqReason[] = DlqEnvelope.shape.reason.options;

/** Header on a redriven record: which DLQ entry it came from. */
export const REDRIVEN_FROM = "sca-redriven-from";

export interface RedriveResult {
  reason: DlqReason;
  redriven: number;
  /** Per-sample entries (one sample of an instruction, partition -1): re-running the whole instruction would duplicate its other samples. */
  skipped: number;
}

/**
 * Puts a stage's DLQ records of one reason back on its input, exactly once. The DLQ is read by a
 * consumer group of its own per (stage, reason), and each batch of re-injected records is committed
 * with that group's DLQ offsets in one atomic commit (Kafka: one transaction; embedded: one frame).
 * An interrupted redrive therefore resumes after the last batch that landed, and a rerun re-injects
 * nothing twice. One group per reason, so redriving one reason leaves the others' entries in place
 * for a later redrive.
 */
export async function redrive(transport: Transport, codec: Codec, stage: string, reason: DlqReason, opts: { quietMs?: number } = {}): Promise<RedriveResult> {
  const topic = dlqOf(stage);
  const admin = transport.admin();
  const result: RedriveResult = { reason, redriven: 0, skipped: 0 };
  if (!(await admin.listTopics()).includes(topic)) return result;
  const highs = new Map((await admin.describeTopic(topic)).map((p) => [p.partition, BigInt(p.high)]));
  const groupId = `sca-dlq-redrive.${stage}.${reason}`;
  const consumer = await transport.consumer({ groupId, topic, fromBeginning: true });
  const pending: LogRecord[] = [];
  /** Next offset per partition as far as this group's commits go. */
  const reached = new Map<number, bigint>();
  for (const o of await admin.groupOffsets(groupId, topic)) reached.set(o.partition, BigInt(o.offset));
  let lastAt = Date.now();
  await consumer.start({
    onRecords: async (records) => {
      pending.push(...records);
      lastAt = Date.now();
    },
    onAssigned: (parts) => {
      for (const p of parts) reached.set(p.partition, BigInt(p.offset));
    },
  });
  // Kafka: transaction markers take offsets that are never delivered, so the high watermark may never be reached; quiet means done.
  const quietMs = opts.quietMs ?? (transport.kind === "kafka" ? 3_000 : Infinity);
  const done = () => [...highs].every(([p, high]) => (reached.get(p) ?? 0n) >= high) || Date.now() - lastAt >= quietMs;
  try {
    while (!done() || pending.length > 0) {
      if (pending.length === 0) {
        await sleep(50);
        continue;
      }
      const batch = pending.splice(0, 500);
      const outputs: OutRecord[] = [];
      const offsets = new Map<number, bigint>();
      for (const r of batch) {
        // Entries that arrived after this redrive began are left, uncommitted, for the next one.
        if (BigInt(r.offset) >= (highs.get(r.partition) ?? 0n)) continue;
        offsets.set(r.partition, BigInt(r.offset) + 1n);
        const env = DlqEnvelope.parse(await codec.decode(topic, r.value));
        if (env.reason !== reason) continue;
        if (env.partition < 0) {
          result.skipped++;
          continue;
        }
        outputs.push({
          topic: env.source_topic,
          key: env.key,
          value: Buffer.from(env.value_base64, "base64"),
          headers: { [REDRIVEN_FROM]: `${topic}/${r.partition}/${r.offset}` },
        });
      }
      if (offsets.size === 0) continue;
      const commit: OffsetCommit[] = [...offsets].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() }));
      await consumer.commit(outputs, commit);
      for (const c of commit) reached.set(c.partition, BigInt(c.offset));
      result.redriven += outputs.length;
    }
  } finally {
    await consumer.close();
  }
  return result;
}
