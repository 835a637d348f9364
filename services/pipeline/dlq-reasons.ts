import type { DlqEnvelope } from "../../schemas/records.ts";
import { dlqTopicName } from "../../schemas/topics.ts";
import type { Codec } from "../runtime/codec.ts";
import type { Transport } from "../runtime/transport.ts";
import { readDlqTopic } from "./dlq-inspect.ts";

/** How many failures of one kind a stage's DLQ holds: samples for an LLM stage's parse failures, else records. */
export interface DlqReasonCount {
  stage: string;
  /** the most specific reason known: a parse failure ("truncated", "missing_tests") or the envelope's reason */
  reason: string;
  count: number;
}

/**
 * The reasons one envelope stands for. An LLM stage that gives up on a whole record lists every
 * sample's parse failure (detail.reasons); one sample's envelope names its own (detail.reason).
 */
export function reasonsOf(e: DlqEnvelope): string[] {
  const d = e.detail ?? {};
  if (Array.isArray(d.reasons) && d.reasons.length > 0 && d.reasons.every((r) => typeof r === "string")) return d.reasons as string[];
  if (typeof d.reason === "string") return [d.reason];
  return [e.reason];
}

/** Tallies every stage's DLQ by reason, most frequent first. */
export async function dlqReasons(transport: Transport, codec: Codec, stages: Array<{ stage: string; input: string }>): Promise<DlqReasonCount[]> {
  const out: DlqReasonCount[] = [];
  for (const { stage, input } of stages) {
    const counts = new Map<string, number>();
    for (const { envelope } of await readDlqTopic(transport, codec, dlqTopicName(input))) {
      for (const reason of reasonsOf(envelope)) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    for (const [reason, count] of counts) out.push({ stage, reason, count });
  }
  return out.sort((a, b) => b.count - a.count);
}
