import kafkajs from "kafkajs";
import type { OutRecord, Producer } from "../transport.ts";
import { toTopicMessages } from "./transactional-producer.ts";

/**
 * The plain producer (ingest, tests): idempotent, so kafkajs' retries through a broker outage never
 * duplicate a record. Not transactional on purpose: a transaction's commit marker takes an offset,
 * and plain topics keep dense offsets (offset n is the n-th record) as on the embedded log. A send
 * is atomic per partition (one record batch), not across partitions.
 */
export class KafkaProducer implements Producer {
  private constructor(private readonly producer: kafkajs.Producer) {}

  static async connect(kafka: kafkajs.Kafka): Promise<KafkaProducer> {
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    await p.connect();
    return new KafkaProducer(p);
  }

  async send(records: OutRecord[]): Promise<void> {
    if (records.length) await this.producer.sendBatch({ topicMessages: toTopicMessages(records), acks: -1 });
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}
