import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { patchedOffsetFetch } from "../../services/runtime/kafka/kafkajs-patch.ts";
import kafkajs from "../../services/runtime/kafka/kafkajs.ts";
import type { OffsetCommit } from "../../services/runtime/transport.ts";
import { kafkaBrokers, quietLog } from "./env.ts";

/**
 * A group's offsets are read only once no transaction is still committing them. A partition's new
 * owner reads where to resume right after fencing the old owner, and a commit retried after a
 * timeout asks whether the first attempt landed: an answer from before a commit that is landing
 * means outputs written twice. kafkajs' OffsetFetch v4 answers with the previous offsets while a
 * transaction holding new ones is open or not yet applied; the window after a commit is short, so
 * these tests hold the transaction open, where v4 answers at once with the old offsets.
 */
describe("offset fetches wait for the transactions committing them", () => {
  const id = randomBytes(4).toString("hex");
  const topic = `stable-${id}`;
  let t: KafkaTransport;
  let kafka: kafkajs.Kafka;
  const producers: kafkajs.Producer[] = [];

  /** A transaction holding `offset` for partition 0 of `group`, left open. */
  const openTransaction = async (group: string, offset: number) => {
    const p = kafka.producer({ transactionalId: `stable-${id}-${group}`, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    producers.push(p);
    const txn = await p.transaction();
    await txn.send({ topic, messages: [{ key: "k", value: `moved to ${offset}` }] });
    await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset: String(offset) }] }] });
    return txn;
  };

  let admin: kafkajs.Admin | undefined;
  const adminClient = async () => {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    return admin;
  };

  /** The promise's value, or "pending" if it has not settled within `ms`. */
  const within = async <T>(p: Promise<T>, ms: number): Promise<T | "pending"> => Promise.race([p, sleep(ms).then(() => "pending" as const)]);

  beforeAll(async () => {
    t = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "stable" }, quietLog);
    kafka = new kafkajs.Kafka({ brokers: kafkaBrokers(), clientId: "stable-writer", logLevel: kafkajs.logLevel.NOTHING });
    await t.admin().createTopics([{ name: topic, partitions: 1 }]);
    const p = await t.producer();
    await p.send(Array.from({ length: 10 }, (_, i) => ({ topic, key: "k", value: Buffer.from(`r${i}`) })));
    await p.close();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await admin?.disconnect();
    await t?.close();
  });

  it("kafkajs asks with OffsetFetch v7 and require_stable", () => {
    expect(KafkaTransport).toBeDefined();
    expect(patchedOffsetFetch()).toBe(true);
  });

  it.each([
    ["commits: the committed ones, once it has", "commit", "7"],
    ["aborts: the previous ones, once it has", "abort", "2"],
  ] as const)("a group's offsets read while a transaction that %s", async (_, end, expected) => {
    const group = `g-${end}-${id}`;
    await t.admin().setGroupOffsets(group, [{ topic, partition: 0, offset: "2" }]);
    const txn = await openTransaction(group, 7);
    const read = t.admin().groupOffsets(group, topic);
    expect(await within(read, 1_500)).toBe("pending");
    await txn[end]();
    expect(await read).toEqual([{ topic, partition: 0, offset: expected }]);
  });

  it("a consumer joining while a transaction commits its group's offsets resumes after that commit", async () => {
    const group = `g3-${id}`;
    await t.admin().setGroupOffsets(group, [{ topic, partition: 0, offset: "1" }]);
    const txn = await openTransaction(group, 6);
    const consumer = await t.consumer({ groupId: group, topic });
    const assigned: OffsetCommit[] = [];
    const offsets: string[] = [];
    try {
      await consumer.start({
        onRecords: async (rs) => void offsets.push(...rs.map((r) => r.offset)),
        onAssigned: (ps) => void assigned.push(...ps),
      });
      // joined, and asking where to resume: with offsets under an open transaction it must wait
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { groups } = await (await adminClient()).describeGroups([group]);
        if (groups[0]?.state === "Stable" && groups[0].members.length === 1) break;
        if (Date.now() > deadline) throw new Error(`group ${group} never became stable`);
        await sleep(100);
      }
      await sleep(1_500);
      expect(assigned).toEqual([]);
      // as a previous owner finishing its last commit while the new one takes over
      await txn.commit();
      while (!offsets.length && Date.now() < deadline) await sleep(100);
    } finally {
      await consumer.close();
    }
    expect(assigned).toEqual([{ topic, partition: 0, offset: "6" }]);
    expect(offsets[0]).toBe("6");
  }, 60_000);
});
