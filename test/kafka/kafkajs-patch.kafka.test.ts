import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { groupMessagesPerPartition, patchedAbortFilter, patchedGrouping, patchedRequestQueue } from "../../services/runtime/kafka/kafkajs-patch.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";

describe("kafkajs as patched by kafkajs-patch.ts", () => {
  it("the linear per-partition grouping is the function kafkajs' producer loaded, once the transport is imported", () => {
    expect(KafkaTransport).toBeDefined();
    expect(patchedGrouping()).toBe(true);
  });

  it("the read-committed filter is the one kafkajs' consumer batches loaded", () => {
    expect(KafkaTransport).toBeDefined();
    expect(patchedAbortFilter()).toBe(true);
  });

  it("kafkajs' request queue checks its pending requests without a negative timer, which Node ≥ 23 warns about", async () => {
    expect(KafkaTransport).toBeDefined();
    expect(patchedRequestQueue()).toBe(true);
    const RequestQueue = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js");
    const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, enforceRequestTimeout: true, clientId: "t", broker: "b:1", logger: {} });
    queue.checkPendingRequests = vi.fn();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      // Not throttled (throttledUntil -1), nothing pending: kafkajs' own asked for a timer at -Date.now().
      queue.scheduleCheckPendingRequests();
      await vi.waitFor(() => expect(queue.checkPendingRequests).toHaveBeenCalledTimes(1), { timeout: 1000 });
      queue.pending.push({});
      queue.scheduleCheckPendingRequests();
      await vi.waitFor(() => expect(queue.checkPendingRequests).toHaveBeenCalledTimes(2), { timeout: 1000 });
      await sleep(20); // warnings are emitted on a later tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
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
