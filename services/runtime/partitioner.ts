import type { ICustomPartitioner } from "kafkajs";
import kafkajs from "./kafka/kafkajs.ts";

const M = 0x5bd1e995;
let scratch = Buffer.allocUnsafe(256);

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) over the UTF-8 bytes of `key`, as a
 * signed 32-bit int. kafkajs' own does the same arithmetic through its Long class, allocating
 * several objects per 4 bytes of key: on a no-op stage that was 5% of the CPU, and more in GC.
 */
export function murmur2(key: string): number {
  if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3);
  const data = scratch;
  const length = data.write(key, 0, "utf8");
  let h = 0x9747b28c ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[length4 + 2] << 16;
    // falls through
    case 2:
      h ^= data[length4 + 1] << 8;
    // falls through
    case 1:
      h ^= data[length4];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's default rule for a keyed record: the Java client's and kafkajs' DefaultPartitioner's. */
export function keyPartition(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/**
 * The partition a key lands in, so a key maps to the same partition on the embedded log as on a
 * cluster with the same partition count. Null keys spread round-robin.
 */
export function partitionFor(topic: string, key: string | null, partitions: number, roundRobin: { next: number }): number {
  if (key === null) return roundRobin.next++ % partitions;
  return keyPartition(key, partitions);
}

/**
 * kafkajs' DefaultPartitioner (Java-compatible), with string keys hashed by our murmur2 above. An
 * explicit partition, a Buffer key or no key is left to kafkajs' own rule.
 */
export const JavaCompatiblePartitioner: ICustomPartitioner = () => {
  const fallback = kafkajs.Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (typeof message.key === "string" && (message.partition === null || message.partition === undefined))
      return keyPartition(message.key, partitionMetadata.length);
    return fallback(args);
  };
};
