import type { Logger } from "pino";
import type { Dependency } from "./dependency.ts";

/** One output of processing a record; the value is validated against the topic's schema on produce. */
export interface Emit {
  topic: string;
  key: string;
  value: unknown;
}

export interface StageContext {
  log: Logger;
  /** 1 on the first try; grows with retries of transient errors. */
  attempt: number;
  /** Aborted on shutdown or when the record's partition is revoked. */
  signal: AbortSignal;
}

/**
 * A stage: the pure part of a service. It knows nothing of Kafka: its process function maps one
 * decoded, validated input record to output records. Dependencies (LLM client, sandbox) are
 * closed over by the factory that builds the stage.
 */
export interface StageDef<In = unknown> {
  name: string;
  input: string;
  outputs: string[];
  /** Max records processed concurrently by one consumer (default from runner config). */
  concurrency?: number;
  /** What it calls out to (LLM server, sandbox): probed when a call fails as DependencyUnavailableError. */
  dependencies?: Dependency[];
  process(input: In, ctx: StageContext): Promise<Emit[]>;
}
