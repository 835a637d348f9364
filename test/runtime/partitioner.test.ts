import { randomBytes } from "node:crypto";
import kafkajs from "../../services/runtime/kafka/kafkajs.ts";
import { describe, expect, it } from "vitest";
import { JavaCompatiblePartitioner, keyPartition, murmur2 } from "../../services/runtime/partitioner.ts";

const metadata = (n: number) => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe("partitioner", () => {
  it("hashes like the Java client's murmur2 (Kafka's UtilsTest vectors)", () => {
    expect(murmur2("21")).toBe(-973932308);
    expect(murmur2("foobar")).toBe(-790332482);
    expect(murmur2("a-little-bit-long-string")).toBe(-985981536);
    expect(murmur2("a-little-bit-longer-string")).toBe(-1486304829);
    expect(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")).toBe(-58897971);
    expect(murmur2("abc")).toBe(479470107);
  });

  it("puts every key where kafkajs' DefaultPartitioner does: ASCII, multi-byte UTF-8, every length mod 4, long keys", () => {
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    const ours = JavaCompatiblePartitioner();
    const keys = ["", "a", "ab", "abc", "é", "日本語のキー", "🙂🙂", "x".repeat(1_000), "é".repeat(300)];
    for (let i = 0; i < 2_000; i++) keys.push(randomBytes(1 + (i % 40)).toString(i % 3 === 0 ? "hex" : i % 3 === 1 ? "base64" : "latin1"));
    for (const n of [1, 3, 4, 12]) {
      for (const key of keys) {
        const args = { topic: "t", partitionMetadata: metadata(n), message: { key, value: null } };
        expect(ours(args), `key ${JSON.stringify(key)} over ${n} partitions`).toBe(theirs(args));
        expect(keyPartition(key, n)).toBe(theirs(args));
      }
    }
  });

  it("leaves an explicit partition and keyless records to kafkajs' rule", () => {
    const ours = JavaCompatiblePartitioner();
    expect(ours({ topic: "t", partitionMetadata: metadata(4), message: { key: "k", value: null, partition: 2 } })).toBe(2);
    const spread = new Set(Array.from({ length: 8 }, () => ours({ topic: "t", partitionMetadata: metadata(4), message: { value: null } })));
    expect(spread.size).toBe(4);
  });
});
