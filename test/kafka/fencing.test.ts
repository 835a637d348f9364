import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FencedError, KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { kafkaBrokers, quietLog } from "./env.ts";

describe("kafka stream consumer fencing", () => {
  it("a restarted instance with the same instance id fences its predecessor's transactions", { timeout: 120_000 }, async () => {
    const id = randomBytes(4).toString("hex");
    const [input, output, group] = [`fence-in-${id}`, `fence-out-${id}`, `fence-${id}`];
    const old = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "fence-old" }, quietLog);
    const successor = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "fence-new" }, quietLog);
    try {
      await old.admin().createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      const out = (v: string) => [{ topic: output, key: "k", value: Buffer.from(v) }];
      const at = (offset: number) => [{ topic: input, partition: 0, offset: String(offset) }];

      const zombie = await old.consumer({ groupId: group, topic: input, instanceId: "replica-0" });
      await zombie.commit(out("zombie-1"), at(1));
      const fresh = await successor.consumer({ groupId: group, topic: input, instanceId: "replica-0" });
      await fresh.commit(out("fresh-2"), at(2));

      await expect(zombie.commit(out("zombie-3"), at(3))).rejects.toBeInstanceOf(FencedError);
      // and it stays fenced: no second attempt may fence the successor back
      await expect(zombie.commit(out("zombie-4"), at(4))).rejects.toThrow(/fenced/);
      await fresh.commit(out("fresh-3"), at(3));

      expect(await old.admin().groupOffsets(group, input)).toEqual(at(3).map((o) => ({ ...o })));
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
});
