// One hop of the bench's bare @platformatic/kafka relay, as kafkajs-relay.ts is for kafkajs: consumes
// <from> (auto-commit), produces every message unchanged to <to>, no transactions, codec or validation.
// The stream hands out one message at a time: what arrived in one turn of the event loop goes out as
// one produce request, and the stream waits for it, as kafkajs' eachBatch does. argv: <brokers> <from> <to> <group>. Prints "ready".
import type { Message } from "@platformatic/kafka";
import { platformaticProducer, platformaticStream } from "./platformatic.ts";

const [brokers, from, to, group] = process.argv.slice(2);
if (!brokers || !from || !to || !group) throw new Error("usage: platformatic-relay.ts <brokers> <from> <to> <group>");
const producer = platformaticProducer(brokers.split(","), `relay-${group}`);
let pending: Message[] = [];
const flush = () => {
  const messages = pending.map((m) => ({ topic: to, key: m.key, value: m.value }));
  pending = [];
  stream.pause();
  producer.send({ messages }).then(
    () => stream.resume(),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
};
const stream = await platformaticStream(brokers.split(","), from, group, (m) => {
  if (!pending.length) setImmediate(flush);
  pending.push(m);
});
await stream.ready;
console.log("ready");
process.on("SIGTERM", () => {
  void stream
    .close()
    .then(() => producer.close())
    .then(() => process.exit(0));
});
