// One hop of the bench's bare @confluentinc/kafka-javascript relay, as kafkajs-relay.ts is for kafkajs:
// consumes <from> (auto-commit), produces every batch unchanged to <to> and waits for it before the
// next, no transactions, codec or validation. Needs SCA_BENCH_CONFLUENT_DIR (confluent.ts).
// argv: <brokers> <from> <to> <group>. Prints "ready" once it owns partitions.
import { confluentConsumer, confluentKafka, confluentProducer } from "./confluent.ts";

const [brokers, from, to, group] = process.argv.slice(2);
if (!brokers || !from || !to || !group) throw new Error("usage: confluent-relay.ts <brokers> <from> <to> <group>");
const kafka = confluentKafka(brokers.split(","));
if (!kafka) throw new Error("confluent-relay.ts needs SCA_BENCH_CONFLUENT_DIR");
const producer = await confluentProducer(kafka);
const { consumer, assigned } = await confluentConsumer(kafka, from, group);
await consumer.run({
  eachBatch: async ({ batch }) => {
    await producer.send({ topic: to, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
  },
});
await assigned;
console.log("ready");
// no disconnect: once a run is over nothing a relay would commit or flush matters, and in one bench run
// the last relay's disconnect never returned after the other two had stopped, which hung the bench
process.on("SIGTERM", () => process.exit(0));
