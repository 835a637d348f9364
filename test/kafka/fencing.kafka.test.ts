import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FencedError, KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { kafkaBrokers, quietLog } from "./env.ts";

/** A one-partition input and output, and the transports of an old owner and of its successor. */
async function twoOwners() {
  const id = randomBytes(4).toString("hex");
  const [input, output, group] = [`fence-in-${id}`, `fence-out-${id}`, `fence-${id}`];
  const old = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "fence-old" }, quietLog);
  const successor = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "fence-new" }, quietLog);
  await old.admin().createTopics([
    { name: input, partitions: 1 },
    { name: output, partitions: 1 },
  ]);
  return {
    id,
    input,
    output,
    group,
    old,
    successor,
    out: (v: string) => [{ topic: output, key: "k", value: Buffer.from(v) }],
    at: (offset: number) => [{ topic: input, partition: 0, offset: String(offset) }],
  };
}

describe("kafka stream consumer fencing", () => {
  // A Deployment's replacement pod has a new name, so a new instance id: the partition's next owner
  // must fence the old one all the same.
  it.each([
    ["the same instance id (a restarted process)", "replica-0", "replica-0"],
    ["another instance id (a replacement pod)", "pod-7f9c-a", "pod-7f9c-b"],
  ])("the partition's next owner with %s fences its predecessor's transactions", { timeout: 120_000 }, async (_, zombieId, freshId) => {
    const { id, input, output, group, old, successor, out, at } = await twoOwners();
    try {
      const zombie = await old.consumer({ groupId: group, topic: input, instanceId: zombieId });
      await zombie.commit(out("zombie-1"), at(1));
      const fresh = await successor.consumer({ groupId: group, topic: input, instanceId: freshId });
      await fresh.commit(out("fresh-2"), at(2));

      await expect(zombie.commit(out("zombie-3"), at(3))).rejects.toBeInstanceOf(FencedError);
      // and it stays fenced: no second attempt may fence the successor back
      await expect(zombie.commit(out("zombie-4"), at(4))).rejects.toThrow(/fenced/);
      await fresh.commit(out("fresh-3"), at(3));

      // offset fetches are stable: the commit that just returned is what they answer
      expect(await old.admin().groupOffsets(group, input)).toEqual(at(3));
      const reader = await successor.consumer({ groupId: `read-${id}`, topic: output });
      const seen: string[] = [];
      await reader.start({ onRecords: async (rs) => void seen.push(...rs.map((r) => r.value.toString())) });
      const deadline = Date.now() + 30_000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      expect(seen).toEqual(["zombie-1", "fresh-2", "fresh-3"]);
    } finally {
      await old.close();
      await successor.close();
    }
  });

  it("a new owner fences its predecessor when the partition is assigned, before it reads where to resume", { timeout: 120_000 }, async () => {
    const { input, group, old, successor, out, at } = await twoOwners();
    try {
      // in range, or kafkajs would reset the group's offset to the log's start
      const p = await old.producer();
      await p.send(["a", "b", "c"].map((v) => ({ topic: input, key: "k", value: Buffer.from(v) })));
      await p.close();
      const zombie = await old.consumer({ groupId: group, topic: input, instanceId: "pod-a" });
      await zombie.commit(out("zombie-1"), at(1));

      const fresh = await successor.consumer({ groupId: group, topic: input, instanceId: "pod-b" });
      const assigned: unknown[] = [];
      await fresh.start({ onRecords: async () => undefined, onAssigned: (ps) => void assigned.push(...ps) });
      const deadline = Date.now() + 60_000;
      while (!assigned.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(assigned).toEqual(at(1));
      // The old owner, not yet aware it lost the partition, commits: had the new owner not fenced it
      // on assignment, this would land after the offset the new owner resumes from.
      await expect(zombie.commit(out("zombie-2"), at(2))).rejects.toBeInstanceOf(FencedError);
      expect(await old.admin().groupOffsets(group, input)).toEqual(at(1));
      await fresh.close();
    } finally {
      await old.close();
      await successor.close();
    }
  });
});
