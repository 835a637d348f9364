/**
 * Four fixes to kafkajs 2.2.4 (its last release; the project is unmaintained), two of them a module
 * of kafkajs replaced by ours, two in kafkajs' own objects. Applied by kafkajs.ts, the module everything imports
 * kafkajs from: the patches must be in place before kafkajs' modules load, and this fails loudly if
 * they are not.
 *
 * - The consumer's read-committed filter (read-committed-filter.ts): kafkajs' own handed out
 *   records of aborted transactions.
 * - The request queue's check timer (below), which Node ≥ 23 warns about.
 * - Offset fetches (stable-offset-fetch.ts): OffsetFetch v7 with require_stable, asked again while
 *   a transaction is still committing the offsets, where kafkajs' v4 answered with stale ones.
 * - The producer's grouping of messages per partition, in linear time: kafkajs groups a batch's
 *   messages by partition with `[...current, message]` per message, O(n²) in the batch: a
 *   5,000-record transaction spent ~90 ms there, 15% of a no-op stage's CPU. Upstream fix, never
 *   merged: https://github.com/tulios/kafkajs/pull/1576. Same contract: partition number →
 *   messages in their original order, `{}` when the topic has no partition metadata.
 */
import { createRequire, Module } from "node:module";
import { filterAbortedMessages } from "./read-committed-filter.ts";
import { offsetFetchV7, untilStable } from "./stable-offset-fetch.ts";

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

const grouping = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
const abortFilter = require.resolve("kafkajs/src/consumer/filterAbortedMessages.js");

function replace(target: string, exports: unknown): void {
  const m = new Module(target);
  m.filename = target;
  m.exports = exports;
  m.loaded = true;
  require.cache[target] = m;
}

if (!require.cache[grouping] || !require.cache[abortFilter]) {
  if (Object.keys(require.cache).some((k) => k.includes(`${"kafkajs"}/src/`))) {
    throw new Error("kafkajs was loaded before services/runtime/kafka/kafkajs.ts could patch it: import kafkajs from that module");
  }
  replace(grouping, groupMessagesPerPartition);
  replace(abortFilter, filterAbortedMessages);
}

interface RequestQueueState {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/**
 * kafkajs' request queue schedules its next check at `throttledUntil - now`, which is negative
 * whenever no broker throttle is in force. Node up to 22 took a negative delay silently as 1 ms;
 * Node 23 and later print a TimeoutNegativeWarning for every such timer, into every service's log.
 * Same schedule (10 ms while requests wait, the throttle's end while throttled), never negative.
 */
const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as { prototype: Record<string, unknown> };
if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== "function") {
  throw new Error("kafkajs' RequestQueue has no scheduleCheckPendingRequests to patch: was kafkajs upgraded?");
}
export function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  const delay = untilUnthrottled > 0 ? untilUnthrottled : this.pending.length > 0 ? 10 : 1;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}
RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;

const OffsetFetch = require("kafkajs/src/protocol/requests/offsetFetch/index.js") as {
  versions: string[];
  protocol: (v: { version: number }) => unknown;
};
if (!OffsetFetch.versions.includes("7")) {
  const before = OffsetFetch.protocol;
  OffsetFetch.versions.push("7");
  OffsetFetch.protocol = ({ version }) => (version === 7 ? offsetFetchV7 : before({ version }));
}
const Broker = require("kafkajs/src/broker/index.js") as { prototype: { offsetFetch: ((args: unknown) => Promise<unknown>) & { stable?: true } } };
// this module may be evaluated again (test runners isolate module graphs, not require's cache)
if (!Broker.prototype.offsetFetch.stable) Broker.prototype.offsetFetch = Object.assign(untilStable(Broker.prototype.offsetFetch), { stable: true as const });

/** The patched modules are the ones kafkajs got (checked by test/kafka/kafkajs-patch.kafka.test.ts). */
export const patchedGrouping = (): boolean => require.cache[grouping]?.exports === groupMessagesPerPartition;
export const patchedAbortFilter = (): boolean => require.cache[abortFilter]?.exports === filterAbortedMessages;
export const patchedRequestQueue = (): boolean => RequestQueue.prototype.scheduleCheckPendingRequests === scheduleCheckPendingRequests;
export const patchedOffsetFetch = (): boolean => OffsetFetch.versions.includes("7") && Broker.prototype.offsetFetch.stable === true;
