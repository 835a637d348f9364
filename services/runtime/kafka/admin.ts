import kafkajs from "./kafkajs.ts";
import type { Admin, OffsetCommit, PartitionInfo, TopicConfig } from "../transport.ts";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { isGroupNotFound, protocolErrorTypes } from "./errors.ts";
import { TransactionalProducer } from "./transactional-producer.ts";

const LEADERSHIP_SETTLING = new Set(["NOT_LEADER_FOR_PARTITION", "LEADER_NOT_AVAILABLE", "UNKNOWN_TOPIC_OR_PARTITION"]);

/**
 * Runs an offsets lookup, riding out the moments after a topic is created or a broker restarts,
 * when the partition leaders are not yet known everywhere (kafkajs' admin gives up on these at once).
 */
async function whileLeadershipSettles<T>(fn: () => Promise<T>, forMs = 15_000): Promise<T> {
  const deadline = Date.now() + forMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline || !protocolErrorTypes(e).some((t) => LEADERSHIP_SETTLING.has(t))) throw e;
      await sleep(100);
    }
  }
}

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

  /** replicationFactor: undefined leaves it to the broker's default.replication.factor. */
  constructor(
    private readonly kafka: kafkajs.Kafka,
    private readonly log: Logger,
    private readonly replicationFactor?: number,
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
    // created means the controller knows the leaders; wait until the broker serves them too
    for (const t of missing) await whileLeadershipSettles(() => a.fetchTopicOffsets(t.name));
  }

  async listTopics(): Promise<string[]> {
    return (await this.client()).listTopics();
  }

  async describeTopic(topic: string): Promise<PartitionInfo[]> {
    const a = await this.client();
    const offsets = await whileLeadershipSettles(() => a.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ topic, partition: o.partition, low: o.low, high: o.high })).sort((x, y) => x.partition - y.partition);
  }

  async groupOffsets(groupId: string, topic: string): Promise<OffsetCommit[]> {
    const res = await (await this.client()).fetchOffsets({ groupId, topics: [topic] });
    return res
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })))
      .filter((o) => Number(o.offset) >= 0)
      .sort((x, y) => x.partition - y.partition);
  }

  /**
   * Written as a transactional offset commit rather than with kafkajs' setOffsets, which joins the
   * group with a throw-away consumer and waits out a whole fetch cycle (about 5 s) per topic.
   */
  async setGroupOffsets(groupId: string, offsets: OffsetCommit[]): Promise<void> {
    if (!offsets.length) return;
    const a = await this.client();
    const { groups } = await a.describeGroups([groupId]);
    const live = groups[0]?.members.length ?? 0;
    if (live) throw new Error(`group "${groupId}" has ${live} live member(s) (state ${groups[0].state}); stop them before moving its offsets`);
    const want = new Map(offsets.map((o) => [`${o.topic}/${o.partition}`, o.offset]));
    const landed = async () => {
      const topics = [...new Set(offsets.map((o) => o.topic))];
      const now = (await Promise.all(topics.map((t) => this.groupOffsets(groupId, t)))).flat();
      return now.filter((o) => want.get(`${o.topic}/${o.partition}`) === o.offset).length === want.size;
    };
    const txn = new TransactionalProducer(this.kafka, `sca-admin-offsets-${groupId}`, {
      log: this.log,
      retryForMs: 30_000,
      transactionTimeoutMs: 30_000,
      offsetsCommitted: landed,
    });
    try {
      await txn.run([], { groupId, offsets });
    } finally {
      await txn.close();
    }
  }

  async offsetsForTime(topic: string, ts: number): Promise<OffsetCommit[]> {
    const a = await this.client();
    const res = await whileLeadershipSettles(() => a.fetchTopicOffsetsByTimestamp(topic, ts));
    return res.map((o) => ({ topic, partition: o.partition, offset: o.offset })).sort((x, y) => x.partition - y.partition);
  }

  async deleteGroup(groupId: string): Promise<void> {
    try {
      await (await this.client()).deleteGroups([groupId]);
    } catch (e) {
      if (!isGroupNotFound(e)) throw e;
    }
  }

  /** Retention and cleanup policy as the cluster has them (Kafka-only: what `sca topics describe` checks). */
  async topicSettings(topics: string[]): Promise<Map<string, { retentionMs: number; compacted: boolean }>> {
    if (!topics.length) return new Map();
    const res = await (await this.client()).describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ["retention.ms", "cleanup.policy"] })),
    });
    return new Map(
      res.resources.map((r) => {
        const get = (k: string) => r.configEntries.find((e) => e.configName === k)?.configValue;
        return [r.resourceName, { retentionMs: Number(get("retention.ms")), compacted: (get("cleanup.policy") ?? "").split(",").includes("compact") }];
      }),
    );
  }

  async close(): Promise<void> {
    const c = this.connected;
    this.connected = undefined;
    if (c) await (await c.catch(() => undefined))?.disconnect();
  }
}
