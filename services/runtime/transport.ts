/**
 * The one interface both transports (kafka, embedded) implement. The stage runner and the CLI only
 * see this; a shared contract test suite (test/contract/) runs against both implementations.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A record as read from the log. Offsets are decimal strings, as kafkajs hands them out. */
export interface LogRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  timestamp: number;
  headers: Record<string, string>;
}

/** A record to append; the transport chooses the partition from the key (murmur2, as Kafka does). */
export interface OutRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

/** "Everything below `offset` is done" for one input partition (the Kafka convention: next offset to read). */
export interface OffsetCommit extends TopicPartition {
  offset: string;
}

export interface TopicConfig {
  name: string;
  partitions: number;
  retentionMs?: number;
  compacted?: boolean;
}

export interface PartitionInfo extends TopicPartition {
  /** first available offset */
  low: string;
  /** next offset to be written */
  high: string;
}

export interface Admin {
  createTopics(topics: TopicConfig[]): Promise<void>;
  listTopics(): Promise<string[]>;
  describeTopic(topic: string): Promise<PartitionInfo[]>;
  /** Committed offsets of a group on a topic; partitions without a commit are absent. */
  groupOffsets(groupId: string, topic: string): Promise<OffsetCommit[]>;
  /** Overwrite a group's committed offsets (replay). The group must have no live members. */
  setGroupOffsets(groupId: string, offsets: OffsetCommit[]): Promise<void>;
  /** Offset of the first record with timestamp >= ts, per partition (the high offset where none). */
  offsetsForTime(topic: string, ts: number): Promise<OffsetCommit[]>;
  deleteGroup(groupId: string): Promise<void>;
}

/** Plain (non-consuming) producer: ingest, tests. A send is atomic per partition (Kafka: idempotent, not transactional, so offsets stay dense); across partitions only on the embedded log. */
export interface Producer {
  send(records: OutRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerHandlers {
  /** Called with records in offset order per partition. Must return quickly: the runner queues work. */
  onRecords(records: LogRecord[]): Promise<void>;
  /** Partitions newly owned by this consumer, with the offset it resumes from. */
  onAssigned?(partitions: OffsetCommit[]): void;
  /** Partitions taken away: in-flight work on them must be dropped, not committed. */
  onRevoked?(partitions: TopicPartition[]): void;
}

export interface ConsumerOptions {
  groupId: string;
  topic: string;
  /** Where a group with no committed offset starts. Default: earliest. */
  fromBeginning?: boolean;
  /** Identifies this member across restarts (Kafka: the transactional id suffix, for zombie fencing). */
  instanceId?: string;
}

/**
 * A consume–transform–produce session: reads one topic as a member of a group and commits its
 * outputs together with its input offsets, atomically (Kafka: a transaction with sendOffsets;
 * embedded: one journal frame). Consumers read committed data only.
 */
export interface StreamConsumer {
  start(handlers: ConsumerHandlers): Promise<void>;
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  /**
   * Atomically append `outputs` and commit `offsets` for this consumer's group. Resolves with the
   * offset of the first record appended to each output partition written (what a changelog-backed
   * store checkpoints), or undefined when the transport cannot tell (a retried Kafka commit that had
   * landed already).
   */
  commit(outputs: OutRecord[], offsets: OffsetCommit[]): Promise<OffsetCommit[] | undefined>;
  /**
   * "partition": commits that each carry one partition's offsets may run concurrently, one per
   * partition (Kafka: one transactional producer per input partition). Absent: one commit at a time.
   */
  readonly commitScope?: "partition";
  close(): Promise<void>;
}

export interface Transport {
  readonly kind: "kafka" | "embedded";
  admin(): Admin;
  producer(): Promise<Producer>;
  consumer(opts: ConsumerOptions): Promise<StreamConsumer>;
  /**
   * Reads the given partitions of `topic`, each from its offset up to its end as of the call
   * (committed records only, in offset order per partition), outside any consumer group's offsets:
   * how a changelog-backed store restores.
   */
  readPartitions(topic: string, from: OffsetCommit[], onRecords: (records: LogRecord[]) => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}
