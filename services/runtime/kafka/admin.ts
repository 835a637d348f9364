import type kafkajs from "kafkajs";
import type { Admin, OffsetCommit, PartitionInfo, TopicConfig } from "../transport.ts";
import { isGroupNotFound } from "./errors.ts";

/** Topic settings as Kafka config entries (retention, compaction). */
export function topicConfigEntries(t: TopicConfig): Array<{ name: string; value: string }> {
  const entries: Array<{ name: string; value: string }> = [];
  if (t.retentionMs !== undefined) entries.push({ name: "retention.ms", value: String(t.retentionMs) });
  if (t.compacted) entries.push({ name: "cleanup.policy", value: "compact" });
  return entries;
}

/** The Admin contract over a kafkajs admin client, connected on first use. */
export class KafkaAdmin implements Admin {
  private connected?: Promise<kafkajs.Admin>;

  constructor(
    private readonly kafka: kafkajs.Kafka,
    private readonly replicationFactor = 1,
  ) {}

  private client(): Promise<kafkajs.Admin> {
    this.connected ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      return a;
    })().catch((e) => {
      this.connected = undefined;
      throw e;
    });
    return this.connected;
  }

  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  async createTopics(topics: TopicConfig[]): Promise<void> {
    const a = await this.client();
    const existing = new Set(await a.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (!missing.length) return;
    await a.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: this.replicationFactor,
        configEntries: topicConfigEntries(t),
      })),
    });
  }

  async listTopics(): Promise<string[]> {
    return (await this.client()).listTopics();
  }

  async describeTopic(topic: string): Promise<PartitionInfo[]> {
    const offsets = await (await this.client()).fetchTopicOffsets(topic);
    return offsets.map((o) => ({ topic, partition: o.partition, low: o.low, high: o.high })).sort((x, y) => x.partition - y.partition);
  }

  async groupOffsets(groupId: string, topic: string): Promise<OffsetCommit[]> {
    const res = await (await this.client()).fetchOffsets({ groupId, topics: [topic] });
    return res
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })))
      .filter((o) => Number(o.offset) >= 0)
      .sort((x, y) => x.partition - y.partition);
  }

  async setGroupOffsets(groupId: string, offsets: OffsetCommit[]): Promise<void> {
    const a = await this.client();
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
    // kafkajs refuses (and Kafka would reject) moving the offsets of a group that has live members
    for (const [topic, partitions] of byTopic) await a.setOffsets({ groupId, topic, partitions });
  }

  async offsetsForTime(topic: string, ts: number): Promise<OffsetCommit[]> {
    const res = await (await this.client()).fetchTopicOffsetsByTimestamp(topic, ts);
    return res.map((o) => ({ topic, partition: o.partition, offset: o.offset })).sort((x, y) => x.partition - y.partition);
  }

  async deleteGroup(groupId: string): Promise<void> {
    try {
      await (await this.client()).deleteGroups([groupId]);
    } catch (e) {
      if (!isGroupNotFound(e)) throw e;
    }
  }

  async close(): Promise<void> {
    const c = this.connected;
    this.connected = undefined;
    if (c) await (await c.catch(() => undefined))?.disconnect();
  }
}
