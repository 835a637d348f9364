import type {
  Admin,
  ConsumerHandlers,
  ConsumerOptions,
  LogRecord,
  OffsetCommit,
  OutRecord,
  PartitionInfo,
  Producer,
  StreamConsumer,
  TopicConfig,
  TopicPartition,
  Transport,
} from "../transport.ts";
import { EmbeddedLog } from "./log.ts";

const MAX_BATCH = 500;
const IDLE_WAIT_MS = 200;

/**
 * The single-machine transport: Kafka's semantics (keyed partitions, consumer groups, committed
 * offsets, atomic outputs+offsets) over one durable journal in one process. Groups rebalance among
 * the consumers of this process the way a Kafka group spreads partitions over its members.
 */
export class EmbeddedTransport implements Transport {
  readonly kind = "embedded" as const;
  private readonly groups = new Map<string, EmbeddedConsumer[]>();
  private readonly consumers = new Set<EmbeddedConsumer>();

  constructor(readonly log: EmbeddedLog) {}

  static open(dir: string, opts: { fsync?: boolean } = {}): EmbeddedTransport {
    return new EmbeddedTransport(new EmbeddedLog(dir, opts));
  }

  admin(): Admin {
    const log = this.log;
    const liveGroup = (g: string) => (this.groups.get(g)?.length ?? 0) > 0;
    return {
      async createTopics(topics: TopicConfig[]) {
        log.createTopics(topics);
      },
      async listTopics() {
        return log.topicNames();
      },
      async describeTopic(topic: string): Promise<PartitionInfo[]> {
        return log.partitionsOf(topic).map((_, partition) => ({ topic, partition, low: "0", high: String(log.high(topic, partition)) }));
      },
      async groupOffsets(groupId: string, topic: string): Promise<OffsetCommit[]> {
        if (!log.hasTopic(topic)) return [];
        return log.partitionsOf(topic).flatMap((_, partition) => {
          const o = log.committed(groupId, topic, partition);
          return o === undefined ? [] : [{ topic, partition, offset: String(o) }];
        });
      },
      async setGroupOffsets(groupId: string, offsets: OffsetCommit[]) {
        if (liveGroup(groupId)) throw new Error(`group "${groupId}" has live members; stop them before moving its offsets`);
        log.append(
          [],
          offsets.map((o) => ({ ...o, group: groupId })),
        );
      },
      async offsetsForTime(topic: string, ts: number): Promise<OffsetCommit[]> {
        return log.partitionsOf(topic).map((_, partition) => ({ topic, partition, offset: String(log.offsetForTime(topic, partition, ts)) }));
      },
      async deleteGroup(groupId: string) {
        if (liveGroup(groupId)) throw new Error(`group "${groupId}" has live members; stop them before deleting it`);
        log.deleteGroup(groupId);
      },
    };
  }

  async producer(): Promise<Producer> {
    return {
      send: async (records: OutRecord[]) => {
        this.log.append(records);
      },
      close: async () => {},
    };
  }

  async readPartitions(topic: string, from: OffsetCommit[], onRecords: (records: LogRecord[]) => void | Promise<void>): Promise<void> {
    for (const f of from) {
      const end = this.log.high(topic, f.partition);
      for (let o = Number(f.offset); o < end; ) {
        const records = this.log.read(topic, f.partition, o, Math.min(MAX_BATCH, end - o));
        if (!records.length) break;
        o += records.length;
        await onRecords(records);
      }
    }
  }

  async consumer(opts: ConsumerOptions): Promise<StreamConsumer> {
    const c = new EmbeddedConsumer(this, opts);
    this.consumers.add(c);
    return c;
  }

  /** Spreads the topic's partitions over the group's members (partition p → member p mod n). */
  rebalance(groupId: string): void {
    const members = this.groups.get(groupId) ?? [];
    members.forEach((m, i) => {
      const n = this.log.partitionsOf(m.topic).length;
      m.setAssignment(Array.from({ length: n }, (_, p) => p).filter((p) => p % members.length === i));
    });
  }

  join(c: EmbeddedConsumer): void {
    this.groups.set(c.groupId, [...(this.groups.get(c.groupId) ?? []), c]);
    this.rebalance(c.groupId);
  }

  leave(c: EmbeddedConsumer): void {
    this.groups.set(
      c.groupId,
      (this.groups.get(c.groupId) ?? []).filter((m) => m !== c),
    );
    this.consumers.delete(c);
    this.rebalance(c.groupId);
  }

  async close(): Promise<void> {
    for (const c of [...this.consumers]) await c.close();
    this.log.close();
  }
}

class EmbeddedConsumer implements StreamConsumer {
  readonly groupId: string;
  readonly topic: string;
  private handlers?: ConsumerHandlers;
  private readonly positions = new Map<number, number>();
  private readonly paused = new Set<number>();
  private running = false;
  private loopDone?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly transport: EmbeddedTransport,
    private readonly opts: ConsumerOptions,
  ) {
    this.groupId = opts.groupId;
    this.topic = opts.topic;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    if (this.running) throw new Error("consumer already started");
    this.transport.log.partitionsOf(this.topic);
    this.handlers = handlers;
    this.running = true;
    this.transport.join(this);
    this.loopDone = this.loop();
  }

  setAssignment(partitions: number[]): void {
    const log = this.transport.log;
    const revoked = [...this.positions.keys()].filter((p) => !partitions.includes(p));
    const added = partitions.filter((p) => !this.positions.has(p));
    for (const p of revoked) {
      this.positions.delete(p);
      this.paused.delete(p);
    }
    if (revoked.length) this.handlers?.onRevoked?.(revoked.map((partition) => ({ topic: this.topic, partition })));
    for (const p of added) {
      const start = log.committed(this.groupId, this.topic, p) ?? (this.opts.fromBeginning === false ? log.high(this.topic, p) : 0);
      this.positions.set(p, start);
    }
    if (added.length) this.handlers?.onAssigned?.(added.map((partition) => ({ topic: this.topic, partition, offset: String(this.positions.get(partition)) })));
    this.wake?.();
  }

  private async loop(): Promise<void> {
    const log = this.transport.log;
    while (this.running) {
      let delivered = false;
      for (const [p, pos] of [...this.positions]) {
        if (!this.running) break;
        if (this.paused.has(p) || this.positions.get(p) !== pos) continue;
        const records = log.read(this.topic, p, pos, MAX_BATCH);
        if (!records.length) continue;
        this.positions.set(p, pos + records.length);
        delivered = true;
        await this.handlers!.onRecords(records);
      }
      if (!delivered && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.transport.log.appended.off("append", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, IDLE_WAIT_MS);
      this.transport.log.appended.on("append", done);
      this.wake = done;
    });
  }

  pause(partitions: TopicPartition[]): void {
    for (const tp of partitions) if (tp.topic === this.topic) this.paused.add(tp.partition);
  }

  resume(partitions: TopicPartition[]): void {
    for (const tp of partitions) if (tp.topic === this.topic) this.paused.delete(tp.partition);
    this.wake?.();
  }

  async commit(outputs: OutRecord[], offsets: OffsetCommit[]): Promise<OffsetCommit[]> {
    // Like a fenced Kafka transaction: a member may only commit partitions it still owns.
    const foreign = offsets.filter((o) => o.topic !== this.topic || !this.positions.has(o.partition));
    if (foreign.length)
      throw new Error(
        `commit refused: ${foreign.map((o) => `${o.topic}[${o.partition}]`).join(", ")} not assigned to this consumer of group "${this.groupId}" (rebalanced)`,
      );
    return this.transport.log.append(
      outputs,
      offsets.map((o) => ({ ...o, group: this.groupId })),
    );
  }

  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loopDone;
    this.transport.leave(this);
  }
}
