import type { Logger } from "pino";
import type { DlqEnvelope } from "../../schemas/records.ts";
import { type BackoffPolicy, backoffDelay } from "../shared/backoff.ts";
import type { Codec } from "./codec.ts";
import { isDependencyUnavailable } from "./dependency.ts";
import { dlqEnvelope } from "./dlq.ts";
import { errorMessage } from "./errors.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import type { DependencyHealth } from "./outage.ts";
import type { LogRecord, OutRecord } from "./transport.ts";

/** `held`: the record's dependency is down; it waits, attempt unspent, until the dependency answers. */
export type Outcome = { outputs: OutRecord[] } | { retryInMs: number } | { held: true };

/** One record's tries so far; the policy gives an attempt back when the failure was not the record's. */
export interface Tries {
  record: LogRecord;
  attempts: number;
}

export interface OutcomePolicyOptions {
  stage: string;
  dlqTopic: string;
  codec: Codec;
  health: DependencyHealth;
  maxAttempts: number;
  backoff: BackoffPolicy;
  metrics: RuntimeMetrics;
  retries: { inc(): void };
  log: Logger;
}

/**
 * What becomes of a record whose try failed. A failure its dependency's outage explains (the
 * dependency is probed) holds the record without spending an attempt; any other failure is retried
 * after a back-off until `maxAttempts`, then the record goes to the DLQ, as does one that is bad in
 * itself. A DLQ record that cannot be encoded (registry away) is retried: without it the input
 * could not be committed.
 */
export class OutcomePolicy {
  constructor(private readonly o: OutcomePolicyOptions) {}

  async transient(job: Tries, e: unknown, step: string): Promise<Outcome> {
    if (isDependencyUnavailable(e) && (await this.o.health.verify(e)) === "down") {
      job.attempts--;
      return { held: true };
    }
    const message = errorMessage(e);
    if (job.attempts >= this.o.maxAttempts) return this.toDlq(job, "retries_exhausted", `${step} failed ${job.attempts} times; last error: ${message}`);
    this.o.retries.inc();
    const retryInMs = backoffDelay(job.attempts, this.o.backoff);
    this.o.log.warn(
      { partition: job.record.partition, offset: job.record.offset, attempt: job.attempts, retryInMs: Math.round(retryInMs), err: message },
      `${step} failed, will retry`,
    );
    return { retryInMs };
  }

  async toDlq(job: Tries, reason: DlqEnvelope["reason"], error: string, detail?: Record<string, unknown>): Promise<Outcome> {
    const { record } = job;
    const envelope = dlqEnvelope(record, this.o.stage, reason, error, job.attempts, detail);
    try {
      const value = await this.o.codec.encode(this.o.dlqTopic, envelope);
      this.o.metrics.recordsFailed.inc({ stage: this.o.stage, reason });
      this.o.log.warn({ partition: record.partition, offset: record.offset, key: record.key, reason, err: error }, "record sent to DLQ");
      return { outputs: [{ topic: this.o.dlqTopic, key: record.key, value }] };
    } catch (e) {
      // Without a DLQ record the input cannot be committed; waiting (e.g. for the registry) is the only safe choice.
      const retryInMs = backoffDelay(Math.min(job.attempts, 10), this.o.backoff);
      this.o.log.error({ partition: record.partition, offset: record.offset, err: errorMessage(e) }, "could not encode the DLQ record, will retry");
      job.attempts--;
      return { retryInMs };
    }
  }
}
