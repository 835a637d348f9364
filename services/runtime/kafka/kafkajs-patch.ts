/**
 * Makes kafkajs' producer group messages per partition in linear time. Applied by kafkajs.ts, the
 * module everything imports kafkajs from: the patch must be in place before kafkajs' producer
 * modules load, and fails loudly if it is not.
 *
 * kafkajs 2.2.4 (its last release; the project is unmaintained) groups a batch's messages by
 * partition with `[...current, message]` per message, O(n²) in the batch: a 5,000-record
 * transaction spent ~90 ms there, 15% of a no-op stage's CPU. Upstream fix, never merged:
 * https://github.com/tulios/kafkajs/pull/1576. Same contract: partition number → messages in
 * their original order, `{}` when the topic has no partition metadata.
 */
import { createRequire, Module } from "node:module";

const require = createRequire(import.meta.url);

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: Partitioner;
}): Record<number, unknown[]> {
  const out: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (out[partition] ??= []).push(message);
  }
  return out;
}

const target = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
if (!require.cache[target]) {
  if (Object.keys(require.cache).some((k) => k.includes(`${"kafkajs"}/src/producer/`))) {
    throw new Error("kafkajs was loaded before services/runtime/kafka/kafkajs.ts could patch it: import kafkajs from that module");
  }
  const m = new Module(target);
  m.filename = target;
  m.exports = groupMessagesPerPartition;
  m.loaded = true;
  require.cache[target] = m;
}

/** The patched module is the one kafkajs' producer got (checked by test/kafka/kafkajs-patch.kafka.test.ts). */
export const patchedGrouping = (): boolean => require.cache[target]?.exports === groupMessagesPerPartition;
