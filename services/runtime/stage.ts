import type { Logger } from "pino";
import type { StageInput, StageName, StageOutput } from "../../schemas/stages.ts";
import type { DlqTopicName, TopicName, TopicRecord } from "../../schemas/topics.ts";
import type { Dependency } from "./dependency.ts";
import type { OffsetCommit } from "./transport.ts";

/** One output of processing a record; the value is validated against the topic's schema on produce. */
export interface Emit<Topic extends string = string, Value = unknown> {
  topic: Topic;
  key: string;
  value: Value;
}

/** An output to one of the catalogue topics `T`, carrying that topic's record type (a union over `T`). */
export type CatalogueEmit<T extends TopicName | DlqTopicName> = T extends unknown ? Emit<T, TopicRecord<T>> : never;

export interface StageContext {
  log: Logger;
  /** 1 on the first try; grows with retries of transient errors. */
  attempt: number;
  /** Aborted on shutdown or when the record's partition is revoked. */
  signal: AbortSignal;
  /** The input record's partition and offset (always set by the runner): partition-scoped state tags its writes with them. */
  partition?: number;
  offset?: bigint;
}

/**
 * Partition-scoped state (the Kafka Streams task model): the runner tells a stateful stage which
 * input partitions it owns, waits for it to restore their state before processing their records,
 * and reports which inputs a commit made durable.
 */
export interface PartitionHooks<Out extends Emit = Emit> {
  /** Now owned: the partitions' records are held until this resolves (restore their state here). A rejection makes the runner rejoin. */
  assigned(partitions: number[]): Promise<void>;
  /** Revoked, or dropped after a failed commit: forget every effect not yet reported by committed(). */
  revoked(partitions: number[]): void;
  /**
   * A commit landed: `partition`'s inputs below `offset`, their outputs and any punctuation outputs
   * of that commit are durable. `appended` is where the commit's outputs began per output partition
   * (undefined when the transport cannot tell).
   */
  committed(partition: number, offset: bigint, appended: OffsetCommit[] | undefined): void;
  /**
   * Work due without an input (timeouts), run every `punctuateIntervalMs` on each owned partition
   * while none of its records is being processed or awaiting commit, so its outputs are committed
   * in the partition's next commit, after every output of the records processed before it. `tag`:
   * the offset to tag state writes with (below the offset that commit carries).
   */
  punctuate?(partition: number, tag: bigint): Out[];
  punctuateIntervalMs?: number;
}

/**
 * A stage: the pure part of a service. It knows nothing of Kafka: its process function maps one
 * input record, decoded and validated once by the runner's codec, to output records. Dependencies
 * (LLM client, sandbox) are closed over by the factory that builds the stage.
 */
export interface StageDef<In = unknown, Out extends Emit = Emit> {
  name: string;
  input: string;
  outputs: readonly string[];
  /** Max records processed concurrently by one consumer (default from runner config). */
  concurrency?: number;
  /** What it calls out to (LLM server, sandbox): probed when a call fails as DependencyUnavailableError. */
  dependencies?: Dependency[];
  process(input: In, ctx: StageContext): Promise<Out[]>;
  /** Set by stages whose state is scoped to their input partitions. */
  partitions?: PartitionHooks<Out>;
  /** Called by the host after the runner stopped: flush, release resources. */
  close?(): Promise<void>;
}

/** An output stage `S` may emit. */
export type StageEmit<S extends StageName> = CatalogueEmit<StageOutput<S>>;

/**
 * A stage of the stage graph (schemas/stages.ts), typed from it: it reads its input topic's record
 * and may emit only to its outputs, each with that topic's record type, or it does not compile.
 */
export interface PipelineStage<S extends StageName> extends StageDef<TopicRecord<StageInput<S>>, StageEmit<S>> {
  name: S;
  input: StageInput<S>;
  outputs: readonly StageOutput<S>[];
}
