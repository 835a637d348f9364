import { DlqEnvelope } from "../../schemas/records.ts";
import type { Codec } from "../runtime/codec.ts";
import { dlqTopicName } from "../runtime/dlq.ts";
import type { LogRecord, Transport } from "../runtime/transport.ts";
import { readTopic } from "../runtime/read-topic.ts";
import { inputOf } from "./replay.ts";

/** A stage's DLQ is the one of its input topic: seeds.dlq holds what the concepts stage gave up on. */
export function dlqOf(stage: string): string {
  return dlqTopicName(inputOf(stage));
}

export interface DlqEntry {
  /** Where the envelope sits in the DLQ topic. */
  at: { partition: number; offset: string };
  envelope: DlqEnvelope;
}

/** Every envelope a stage's DLQ holds now, decoded (an envelope that does not decode is reported as such, not skipped). */
export function readDlq(transport: Transport, codec: Codec, stage: string): Promise<DlqEntry[]> {
  return readDlqTopic(transport, codec, dlqOf(stage));
}

/** Every envelope a DLQ topic holds now, decoded. */
export async function readDlqTopic(transport: Transport, codec: Codec, topic: string): Promise<DlqEntry[]> {
  const raw: LogRecord[] = [];
  await readTopic(transport, topic, (r) => raw.push(r));
  const out: DlqEntry[] = [];
  for (const r of raw) out.push({ at: { partition: r.partition, offset: r.offset }, envelope: DlqEnvelope.parse(await codec.decode(topic, r.value)) });
  return out;
}

/** Counts by reason: what `sca dlq list` prints. */
export function countByReason(entries: DlqEntry[]): Map<DlqEnvelope["reason"], number> {
  const counts = new Map<DlqEnvelope["reason"], number>();
  for (const e of entries) counts.set(e.envelope.reason, (counts.get(e.envelope.reason) ?? 0) + 1);
  return counts;
}

/** The envelope with the original record decoded where it can be (it may be the very bytes that would not decode). */
export async function describeEntry(codec: Codec, e: DlqEntry): Promise<Record<string, unknown>> {
  const { value_base64, ...envelope } = e.envelope;
  const bytes = Buffer.from(value_base64, "base64");
  let record: unknown;
  try {
    record = await codec.decode(envelope.source_topic, bytes);
  } catch (err) {
    record = { undecodable: (err as Error).message, text: bytes.toString("utf8").slice(0, 2_000) };
  }
  return { dlq: e.at, ...envelope, record };
}
