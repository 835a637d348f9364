// The bench's bare @platformatic/kafka paths (producer, counting sink, relay hop), the same shape as its
// kafkajs ones: records keyed by the project's Java-compatible murmur2, acks=-1, no transactions or codec.
import { randomBytes } from "node:crypto";
import { Admin, Consumer, type Message, MessagesStreamModes, Producer } from "@platformatic/kafka";
import { keyPartition } from "../../../services/runtime/partitioner.ts";

const PARTITIONS = 4;
const uid = () => randomBytes(3).toString("hex");

/** Kafka's rule for a keyed record, as kafkajs' DefaultPartitioner applies it in the kafkajs paths. */
const murmur2 = (m: { key?: Buffer }) => keyPartition(m.key!.toString(), PARTITIONS);

/** `transactionalId` makes it a transactional (and idempotent) producer. */
export function platformaticProducer(brokers: string[], clientId: string, transactionalId?: string): Producer {
  return new Producer({
    clientId,
    bootstrapBrokers: brokers,
    partitioner: murmur2,
    acks: -1,
    ...(transactionalId ? { idempotent: true, transactionalId } : {}),
  });
}

export async function platformaticTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = new Admin({ clientId: "bench-admin", bootstrapBrokers: brokers });
  await admin.createTopics({ topics, partitions: PARTITIONS, replicas: 1 });
  await admin.close();
}

/** A consumer stream of `topic` from its beginning; `ready` resolves once it joined its group. */
export async function platformaticStream(
  brokers: string[],
  topic: string,
  groupId: string,
  onMessage: (m: Message) => void,
): Promise<{ ready: Promise<void>; pause: () => void; resume: () => void; close: () => Promise<void> }> {
  const consumer = new Consumer({ clientId: groupId, bootstrapBrokers: brokers, groupId, maxWaitTime: 100 });
  const ready = new Promise<void>((r) => consumer.once("consumer:group:join", () => r()));
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
  stream.on("data", onMessage);
  return {
    ready,
    pause: () => void stream.pause(),
    resume: () => void stream.resume(),
    close: async () => {
      await stream.close();
      await consumer.close();
    },
  };
}

export async function platformaticSink(brokers: string[], topic: string): Promise<{ seen: () => number; close: () => Promise<void> }> {
  let seen = 0;
  const s = await platformaticStream(brokers, topic, `bench-sink-${uid()}`, () => void seen++);
  await s.ready;
  return { seen: () => seen, close: s.close };
}
