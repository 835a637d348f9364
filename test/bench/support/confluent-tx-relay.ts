// One hop of the bench's transactional @confluentinc/kafka-javascript relay, as kafkajs-tx-relay.ts is
// for kafkajs: read_committed in, every message out in a transaction that also commits the input
// offsets (sendOffsets with the consumer, KIP-447), through txn-loop.ts. Needs SCA_BENCH_CONFLUENT_DIR.
// argv: <brokers> <from> <to> <group>. Prints "ready".
import { confluentConsumer, confluentKafka } from "./confluent.ts";
import { txnLoop } from "./txn-loop.ts";

const [brokers, from, to, group] = process.argv.slice(2);
if (!brokers || !from || !to || !group) throw new Error("usage: confluent-tx-relay.ts <brokers> <from> <to> <group>");
const kafka = confluentKafka(brokers.split(","));
if (!kafka) throw new Error("confluent-tx-relay.ts needs SCA_BENCH_CONFLUENT_DIR");
const producer = kafka.producer({ kafkaJS: { transactionalId: `tx-relay-${group}`, idempotent: true, maxInFlightRequests: 1 } });
await producer.connect();
const { consumer, assigned } = await confluentConsumer(kafka, from, group, { "isolation.level": "read_committed", kafkaJS: { autoCommit: false } });
type Rec = { partition: number; offset: string; key: Buffer | null; value: Buffer | null };
const arrive = txnLoop<Rec>(async (records, last) => {
  const txn = await producer.transaction();
  await txn.send({ topic: to, messages: records.map((r) => ({ key: r.key, value: r.value })) });
  await txn.sendOffsets({
    consumer,
    topics: [{ topic: from, partitions: last.map((r) => ({ partition: r.partition, offset: String(BigInt(r.offset) + 1n) })) }],
  });
  await txn.commit();
});
await consumer.run({
  eachBatch: async ({ batch }) => arrive(batch.messages.map((m) => ({ partition: batch.partition, record: { partition: batch.partition, ...m } }))),
});
await assigned;
console.log("ready");
process.on("SIGTERM", () => process.exit(0));
