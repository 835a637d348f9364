import { setTimeout as sleep } from "node:timers/promises";
import kafkajs from "./kafkajs.ts";
import { backoffDelay } from "../../shared/backoff.ts";
import { JavaCompatiblePartitioner } from "../partitioner.ts";
import type { OutRecord, Producer } from "../transport.ts";
import { isTransient } from "./errors.ts";
import { toTopicMessages } from "./transactional-producer.ts";

/**
 * The plain producer (ingest, tests): idempotent, so kafkajs' retries through a broker outage never
 * duplicate a record. Not transactional on purpose: a transaction's commit marker takes an offset,
 * and plain topics keep dense offsets (offset n is the n-th record) as on the embedded log. A send
 * is atomic per partition (one record batch), not across partitions.
 *
 * kafkajs gives up on a send once the only broker refuses connections for a while; the send is
 * then retried here until `retryForMs`. The batch keeps its sequence numbers (kafkajs advances them
 * only on success), so the broker discards a copy that had in fact landed.
 */
export class KafkaProducer implements Producer {
  private constructor(
    private readonly producer: kafkajs.Producer,
    private readonly retryForMs: number,
  ) {}

  static async connect(kafka: kafkajs.Kafka, retryForMs: number): Promise<KafkaProducer> {
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: JavaCompatiblePartitioner,
    });
    await p.connect();
    return new KafkaProducer(p, retryForMs);
  }

  async send(records: OutRecord[]): Promise<void> {
    if (!records.length) return;
    const deadline = Date.now() + this.retryForMs;
    const topicMessages = toTopicMessages(records);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.sendBatch({ topicMessages, acks: -1 });
        return;
      } catch (e) {
        if (!isTransient(e) || Date.now() >= deadline) throw e;
        await sleep(backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 }));
      }
    }
  }

  /** Set by the transport that tracks open clients. */
  onClose?: () => void;

  async close(): Promise<void> {
    this.onClose?.();
    await this.producer.disconnect();
  }
}
