import { describe, expect, it } from "vitest";
import { groupMessagesPerPartition, patchedAbortFilter, patchedGrouping } from "../../services/runtime/kafka/kafkajs-patch.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";

describe("kafkajs with its two modules patched (kafkajs-patch.ts)", () => {
  it("the linear per-partition grouping is the function kafkajs' producer loaded, once the transport is imported", () => {
    expect(KafkaTransport).toBeDefined();
    expect(patchedGrouping()).toBe(true);
  });

  it("the read-committed filter is the one kafkajs' consumer batches loaded", () => {
    expect(KafkaTransport).toBeDefined();
    expect(patchedAbortFilter()).toBe(true);
  });

  it("groups by the partitioner's answer, keeping each partition's messages in their original order", () => {
    const messages = Array.from({ length: 1_000 }, (_, i) => ({ key: `k${(i * 7919) % 13}`, value: String(i) }));
    const partitioner = ({ message }: { message: unknown }) => Number((message as { key: string }).key.slice(1)) % 4;
    const got = groupMessagesPerPartition({ topic: "t", partitionMetadata: [{}, {}, {}, {}], messages, partitioner });
    expect(Object.keys(got).sort()).toEqual(["0", "1", "2", "3"]);
    for (const p of [0, 1, 2, 3]) expect(got[p]).toEqual(messages.filter((m) => partitioner({ message: m }) === p));
  });

  it("returns no groups for a topic without partition metadata, as kafkajs' own does", () => {
    expect(groupMessagesPerPartition({ topic: "t", partitionMetadata: [], messages: [{ value: "x" }], partitioner: () => 0 })).toEqual({});
  });
});
