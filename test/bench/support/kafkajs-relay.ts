// One hop of the bench's bare-kafkajs relay: consumes <from>, produces every message unchanged to <to>,
// with kafkajs' own auto-commit and no transactions, codec or validation: the 3-hop topology at the
// cost kafkajs alone puts on this machine. argv: <brokers> <from> <to> <group>. Prints "ready" once it owns its partitions.
import kafkajs from "../../../services/runtime/kafka/kafkajs.ts";

const [brokers, from, to, group] = process.argv.slice(2);
if (!brokers || !from || !to || !group) throw new Error("usage: kafkajs-relay.ts <brokers> <from> <to> <group>");
const kafka = new kafkajs.Kafka({ clientId: `relay-${group}`, brokers: brokers.split(","), logLevel: kafkajs.logLevel.NOTHING });
const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
await producer.connect();
const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
await consumer.connect();
await consumer.subscribe({ topic: from, fromBeginning: true });
consumer.on(consumer.events.GROUP_JOIN, () => console.log("ready"));
await consumer.run({
  eachBatch: async ({ batch }) => {
    await producer.send({ topic: to, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
  },
});
const stop = async () => {
  await consumer.disconnect();
  await producer.disconnect();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
