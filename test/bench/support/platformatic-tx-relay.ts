// One hop of the bench's transactional @platformatic/kafka relay, as kafkajs-tx-relay.ts is for kafkajs:
// read_committed in, every message out in a transaction that also commits the input offsets
// (addConsumer + addOffset). argv: <brokers> <from> <to> <group>. Prints "ready".
import { Consumer, FetchIsolationLevels, type Message, MessagesStreamModes } from "@platformatic/kafka";
import { platformaticProducer } from "./platformatic.ts";
import { txnLoop } from "./txn-loop.ts";

const [brokers, from, to, group] = process.argv.slice(2);
if (!brokers || !from || !to || !group) throw new Error("usage: platformatic-tx-relay.ts <brokers> <from> <to> <group>");
const base = { clientId: `tx-relay-${group}`, bootstrapBrokers: brokers.split(",") };
const producer = platformaticProducer(base.bootstrapBrokers, base.clientId, `tx-relay-${group}`);
const consumer = new Consumer({ ...base, groupId: group, autocommit: false, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 100 });
const arrive = txnLoop<Message>(async (records, last) => {
  const txn = await producer.beginTransaction();
  await txn.send({ messages: records.map((m) => ({ topic: to, key: m.key, value: m.value })) });
  await txn.addConsumer(consumer);
  for (const m of last) await txn.addOffset(m);
  await txn.commit();
});
consumer.once("consumer:group:join", () => console.log("ready"));
const stream = await consumer.consume({ topics: [from], mode: MessagesStreamModes.COMMITTED, fallbackMode: "earliest" });
stream.on("data", (m: Message) => arrive([{ partition: m.partition, record: m }]));
process.on("SIGTERM", () => process.exit(0));
