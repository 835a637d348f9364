// One hop of the bench's transactional kafkajs relay: consumes <from> read_committed, and produces every
// message unchanged to <to> in a transaction that also commits the input offsets (txn-loop.ts), with no
// codec or runner: what a transactional hop costs in kafkajs alone. argv: <brokers> <from> <to> <group>. Prints "ready".
import kafkajs from "../../../services/runtime/kafka/kafkajs.ts";
import { JavaCompatiblePartitioner } from "../../../services/runtime/partitioner.ts";
import { txnLoop } from "./txn-loop.ts";

const [brokers, from, to, group] = process.argv.slice(2);
if (!brokers || !from || !to || !group) throw new Error("usage: kafkajs-tx-relay.ts <brokers> <from> <to> <group>");
const kafka = new kafkajs.Kafka({ clientId: `tx-relay-${group}`, brokers: brokers.split(","), logLevel: kafkajs.logLevel.NOTHING });
// the runtime's settings (transactional-producer.ts)
const producer = kafka.producer({
  transactionalId: `tx-relay-${group}`,
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: JavaCompatiblePartitioner,
  retry: { initialRetryTime: 25, maxRetryTime: 5_000, retries: 15 },
});
await producer.connect();
const arrive = txnLoop<{ partition: number; message: kafkajs.KafkaMessage }>(async (records, last) => {
  const txn = await producer.transaction();
  await txn.sendBatch({ topicMessages: [{ topic: to, messages: records.map((r) => ({ key: r.message.key, value: r.message.value })) }], acks: -1 });
  await txn.sendOffsets({
    consumerGroupId: group,
    topics: [{ topic: from, partitions: last.map((r) => ({ partition: r.partition, offset: String(BigInt(r.message.offset) + 1n) })) }],
  });
  await txn.commit();
});
const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: 100 });
await consumer.connect();
await consumer.subscribe({ topic: from, fromBeginning: true });
consumer.on(consumer.events.GROUP_JOIN, () => console.log("ready"));
await consumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => arrive(batch.messages.map((message) => ({ partition: batch.partition, record: { partition: batch.partition, message } }))),
});
process.on("SIGTERM", () => process.exit(0));
