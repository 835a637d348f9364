import kafkajs from "kafkajs";

const javaCompatible = kafkajs.Partitioners.DefaultPartitioner();

/**
 * The partition a key lands in: Kafka's own murmur2 rule (kafkajs' Java-compatible partitioner), so a
 * key maps to the same partition on the embedded log as on a cluster with the same partition count.
 * Null keys spread round-robin.
 */
export function partitionFor(topic: string, key: string | null, partitions: number, roundRobin: { next: number }): number {
  if (key === null) return roundRobin.next++ % partitions;
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }));
  return javaCompatible({ topic, partitionMetadata, message: { key, value: null } });
}
