import { randomUUID } from "node:crypto";
import kafkajs from "./kafkajs.ts";
import type { Logger } from "pino";
import type { ConsumerOptions, LogRecord, OffsetCommit, Producer, StreamConsumer, Transport } from "../transport.ts";
import { KafkaAdmin } from "./admin.ts";
import { type KafkaConfig, type KafkaOptions, parseKafkaOptions } from "./config.ts";
import { defaultLogger, kafkajsLevel, kafkajsLogCreator } from "./log.ts";
import { readPartitions } from "./partition-reader.ts";
import { KafkaProducer } from "./producer.ts";
import { KafkaStreamConsumer } from "./stream-consumer.ts";

/** The Transport contract on a Kafka cluster, through kafkajs. */
export class KafkaTransport implements Transport {
  readonly kind = "kafka" as const;
  private readonly kafka: kafkajs.Kafka;
  private readonly cfg: KafkaConfig;
  private readonly log: Logger;
  private readonly adminClient: KafkaAdmin;
  private readonly open = new Set<{ close(): Promise<void> }>();

  constructor(opts: KafkaOptions, log: Logger = defaultLogger()) {
    this.cfg = parseKafkaOptions(opts);
    this.log = log;
    this.kafka = new kafkajs.Kafka({
      clientId: this.cfg.clientId,
      brokers: this.cfg.brokers,
      logLevel: kafkajsLevel(log),
      logCreator: kafkajsLogCreator(log),
      // enough patience to ride out a broker restart inside one operation; consumers restart beyond that
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10 },
    });
    this.adminClient = new KafkaAdmin(this.kafka, log, this.cfg.replicationFactor);
  }

  admin(): KafkaAdmin {
    return this.adminClient;
  }

  async producer(): Promise<Producer> {
    return this.track(await KafkaProducer.connect(this.kafka, this.cfg.commitRetryMs));
  }

  readPartitions(topic: string, from: OffsetCommit[], onRecords: (records: LogRecord[]) => void | Promise<void>): Promise<void> {
    return readPartitions(this.kafka, this.adminClient, topic, from, onRecords);
  }

  async consumer(opts: ConsumerOptions): Promise<StreamConsumer> {
    const instanceId = opts.instanceId ?? randomUUID();
    return this.track(new KafkaStreamConsumer(this.kafka, this.adminClient, { ...opts, instanceId }, this.cfg, this.log));
  }

  /** Remembered until closed, so that close() closes what the caller forgot. */
  private track<T extends { close(): Promise<void>; onClose?: () => void }>(x: T): T {
    this.open.add(x);
    x.onClose = () => this.open.delete(x);
    return x;
  }

  async close(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    await Promise.allSettled(open.map((x) => x.close()));
    await this.adminClient.close();
  }
}
