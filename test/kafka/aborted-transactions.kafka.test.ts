import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import kafkajs from "../../services/runtime/kafka/kafkajs.ts";
import type { LogRecord } from "../../services/runtime/transport.ts";
import { kafkaBrokers, quietLog } from "./env.ts";

/**
 * Read-committed reads never hand out a record of an aborted transaction, however the aborted
 * transactions of several producers interleave in a partition. That is what a killed replica
 * leaves behind: each of its partitions' producers had a transaction open in the shared output
 * partitions, and the next owners abort them in whatever order they take the partitions over.
 *
 * The broker lists a fetch's aborted transactions in the order they ENDED (its transaction index),
 * not the order they began, and several of them may have begun before the fetch's first record.
 */
describe("read-committed reads skip every aborted transaction", () => {
  const id = randomBytes(4).toString("hex");
  const topic = `aborted-${id}`;
  let t: KafkaTransport;
  let kafka: kafkajs.Kafka;
  const producers: kafkajs.Producer[] = [];

  const producer = async (name: string) => {
    const p = kafka.producer({ transactionalId: `aborted-${id}-${name}`, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    producers.push(p);
    return p;
  };
  const send = async (txn: kafkajs.Transaction, value: string) => {
    const [m] = await txn.send({ topic, messages: [{ key: "k", value }] });
    return Number(m.baseOffset);
  };

  /** Waits until everything below `offset` is stable (committed or aborted): a read-committed read's end. */
  const stableBeyond = async (offset: number) => {
    const deadline = Date.now() + 10_000;
    while (Number((await t.admin().describeTopic(topic))[0].high) <= offset) {
      if (Date.now() > deadline) throw new Error(`offset ${offset} not stable within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /** Offsets of the aborted transactions' records, to read from inside them. */
  const at: Record<string, number> = {};

  beforeAll(async () => {
    t = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "aborted" }, quietLog);
    kafka = new kafkajs.Kafka({ brokers: kafkaBrokers(), clientId: "aborted-writer", logLevel: kafkajs.logLevel.NOTHING });
    await t.admin().createTopics([{ name: topic, partitions: 1 }]);
    const [a, b, c] = [await producer("a"), await producer("b"), await producer("c")];
    const ta = await a.transaction();
    at.a1 = await send(ta, "a1");
    const tb = await b.transaction();
    at.b1 = await send(tb, "b1");
    const tc1 = await c.transaction();
    await send(tc1, "c1");
    await tc1.commit();
    at.b2 = await send(tb, "b2");
    at.a2 = await send(ta, "a2");
    // b began after a but ends first: the broker lists b's abort before a's. The coordinator writes
    // the markers after EndTxn answered; b's next transaction waits for them, so a's abort comes after.
    await tb.abort();
    const tb3 = await b.transaction();
    await send(tb3, "b3");
    await tb3.commit();
    await ta.abort();
    const tc2 = await c.transaction();
    const c2 = await send(tc2, "c2");
    await tc2.commit();
    await stableBeyond(c2 + 1);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect()));
    await t?.close();
  });

  const values = (rs: LogRecord[]) => rs.map((r) => r.value.toString());

  it.each([
    ["from the log's start", () => at.a1, ["c1", "b3", "c2"]],
    ["from inside both aborted transactions, at a record of the one that ended first", () => at.b2, ["b3", "c2"]],
    ["from inside both aborted transactions, at a record of the one that ended last", () => at.a2, ["b3", "c2"]],
  ])("a partition read %s", async (_, from, expected) => {
    const read: LogRecord[] = [];
    await t.readPartitions(topic, [{ topic, partition: 0, offset: String(from()) }], (rs) => void read.push(...rs));
    expect(values(read)).toEqual(expected);
  });

  it("a stream consumer from the group's start", async () => {
    const c = await t.consumer({ groupId: `aborted-${id}`, topic });
    const seen: LogRecord[] = [];
    await c.start({ onRecords: async (rs) => void seen.push(...rs) });
    const deadline = Date.now() + 30_000;
    while (!values(seen).includes("c2") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await c.close();
    expect(values(seen)).toEqual(["c1", "b3", "c2"]);
  });
});
