import "./kafka/kafkajs-patch.ts";
import kafkajs, { type PartitionMetadata } from "kafkajs";

const javaCompatible = kafkajs.Partitioners.DefaultPartitioner();
const metadataByCount = new Map<number, PartitionMetadata[]>();

function metadata(partitions: number): PartitionMetadata[] {
  let m = metadataByCount.get(partitions);
  if (!m) {
    m = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    metadataByCount.set(partitions, m);
  }
  return m;
}

/**
 * The partition a key lands in: Kafka's own murmur2 rule (kafkajs' Java-compatible partitioner), so a
 * key maps to the same partition on the embedded log as on a cluster with the same partition count.
 * Null keys spread round-robin.
 */
export function partitionFor(topic: string, key: string | null, partitions: number, roundRobin: { next: number }): number {
  if (key === null) return roundRobin.next++ % partitions;
  return javaCompatible({ topic, partitionMetadata: metadata(partitions), message: { key, value: null } });
}
