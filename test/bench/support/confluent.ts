// The bench's optional @confluentinc/kafka-javascript paths, the same shape as its kafkajs and
// @platformatic/kafka ones. The package is not a project dependency: its install needs a native
// librdkafka build (11 minutes on this machine, and its default build downloads sources the
// registry does not serve; services/runtime/README.md says how it builds). SCA_BENCH_CONFLUENT_DIR
// names a folder (or its node_modules) where it is built for the node running the bench; without
// it the bench leaves confluent out and says so. Only what the bench calls is typed here.
import { createRequire } from "node:module";
import { join } from "node:path";
import { z } from "zod";

interface Message {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
}
export interface ConfluentConsumer {
  connect(): Promise<void>;
  subscribe(s: { topic: string }): Promise<void>;
  run(r: { eachBatch: (p: { batch: { partition: number; messages: Message[] } }) => Promise<void> }): Promise<void>;
  disconnect(): Promise<void>;
}
type Records = { topic: string; messages: Array<{ key: Buffer | string | null; value: Buffer | null }> };
export interface ConfluentProducer {
  connect(): Promise<void>;
  send(r: Records): Promise<unknown>;
  transaction(): Promise<{
    send(r: Records): Promise<unknown>;
    sendOffsets(o: { consumer: ConfluentConsumer; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }): Promise<void>;
    commit(): Promise<void>;
  }>;
  disconnect(): Promise<void>;
}
export interface ConfluentKafka {
  producer(config: object): ConfluentProducer;
  consumer(config: object): ConfluentConsumer;
  admin(): {
    connect(): Promise<void>;
    createTopics(t: { topics: Array<{ topic: string; numPartitions: number; replicationFactor: number }> }): Promise<unknown>;
    disconnect(): Promise<void>;
  };
}
interface KafkaJS {
  Kafka: new (config: { kafkaJS: { brokers: string[]; logLevel: number } }) => ConfluentKafka;
  logLevel: { NOTHING: number };
}

const Dir = z.string().min(1).optional();

/** The client for `brokers`, or undefined when SCA_BENCH_CONFLUENT_DIR is unset; a set one that does not resolve fails. */
export function confluentKafka(brokers: string[]): ConfluentKafka | undefined {
  const dir = Dir.parse(process.env.SCA_BENCH_CONFLUENT_DIR || undefined);
  if (!dir) return undefined;
  let mod: { KafkaJS: KafkaJS };
  try {
    // resolution from a file in `dir` looks in dir/node_modules and then upwards, so dir may be the node_modules itself
    mod = createRequire(join(dir, "bench.js"))("@confluentinc/kafka-javascript");
  } catch (e) {
    throw new Error(`SCA_BENCH_CONFLUENT_DIR=${dir}: @confluentinc/kafka-javascript does not load from it: ${(e as Error).message}`);
  }
  return new mod.KafkaJS.Kafka({ kafkaJS: { brokers, logLevel: mod.KafkaJS.logLevel.NOTHING } });
}

/** librdkafka's code for "partitions assigned" in a rebalance callback (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS). */
const ASSIGN = -175;

/**
 * A consumer of `topic` from its beginning that hands out everything fetched in one batch (its
 * default is 32 messages, where kafkajs' batches are whole fetches). `assigned` resolves once the
 * group gave it partitions: its KafkaJS layer has no join event (`consumer.on` throws "Not implemented").
 */
export async function confluentConsumer(
  kafka: ConfluentKafka,
  topic: string,
  groupId: string,
  config: object = {},
): Promise<{ consumer: ConfluentConsumer; assigned: Promise<void> }> {
  let assigned!: () => void;
  const ready = new Promise<void>((r) => (assigned = r));
  const consumer = kafka.consumer({
    "js.consumer.max.batch.size": -1,
    rebalance_cb: (e: { code: number }) => e.code === ASSIGN && assigned(),
    ...config,
    kafkaJS: { groupId, fromBeginning: true, maxWaitTimeInMs: 100, ...(config as { kafkaJS?: object }).kafkaJS },
  });
  await consumer.connect();
  await consumer.subscribe({ topic });
  return { consumer, assigned: ready };
}

export async function confluentTopics(kafka: ConfluentKafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 4, replicationFactor: 1 })) });
  await admin.disconnect();
}

/** Keyed sends go through its KafkaJS layer's default partitioner, murmur2_random: the Java client's murmur2, as kafkajs' DefaultPartitioner. */
export async function confluentProducer(kafka: ConfluentKafka): Promise<ConfluentProducer> {
  const producer = kafka.producer({ kafkaJS: { acks: -1 } });
  await producer.connect();
  return producer;
}

export async function confluentSink(kafka: ConfluentKafka, topic: string, groupId: string): Promise<{ seen: () => number; close: () => Promise<void> }> {
  const { consumer, assigned } = await confluentConsumer(kafka, topic, groupId);
  let seen = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
    },
  });
  await assigned;
  return { seen: () => seen, close: () => consumer.disconnect() };
}
