import type { DlqEnvelope } from "../../schemas/records.ts";
import { dlqTopicName } from "../../schemas/topics.ts";
import type { LogRecord } from "./transport.ts";

export { dlqTopicName };

/** The DLQ record for an input that will not be processed: the original bytes, so it can be inspected and replayed. */
export function dlqEnvelope(
  record: LogRecord,
  stage: string,
  reason: DlqEnvelope["reason"],
  error: string,
  attempts: number,
  detail?: Record<string, unknown>,
): DlqEnvelope {
  return {
    source_topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value_base64: record.value.toString("base64"),
    stage,
    reason,
    error,
    attempts,
    failed_at: new Date().toISOString(),
    ...(detail ? { detail } : {}),
  };
}
