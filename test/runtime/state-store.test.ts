import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { keyPartition } from "../../services/runtime/partitioner.ts";
import { PartitionStore } from "../../services/runtime/state-store/partition-store.ts";
import { PartitionedStore } from "../../services/runtime/state-store/partitioned-store.ts";

interface Counter {
  n: number;
  open: boolean;
}
const codec = new JsonCodec(() => z.object({ n: z.number(), open: z.boolean() }));
const silent = pino({ level: "silent" });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sca-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("PartitionStore", () => {
  it("puts reach disk only when their input is committed, with the checkpoint, in one transaction", async () => {
    let s = new PartitionStore<Counter>(join(dir, "p0"), (v) => v.open);
    s.put("a", { n: 1, open: true }, 5n);
    s.put("b", { n: 2, open: false }, 6n);
    expect(s.get("a")).toEqual({ n: 1, open: true });
    expect(s.indexedValues()).toEqual([{ n: 1, open: true }]);
    s.committed(6n, 40n);
    expect(s.checkpoint).toBe(40n);
    s.put("a", { n: 3, open: false }, 7n);
    await s.close();

    // A new process: only what input 5 committed is there; input 6's write and the later one are gone.
    s = new PartitionStore<Counter>(join(dir, "p0"), (v) => v.open);
    expect(s.get("a")).toEqual({ n: 1, open: true });
    expect(s.get("b")).toBeUndefined();
    expect(s.checkpoint).toBe(40n);
    expect(s.indexedValues()).toEqual([{ n: 1, open: true }]);
    s.put("a", { n: 4, open: false }, 9n);
    s.committed(10n);
    // No changelog position reported: the checkpoint stays where it was (a lower bound is still valid).
    expect(s.checkpoint).toBe(40n);
    expect(s.indexedValues()).toEqual([]);
    await s.close();
  });
});

describe("PartitionedStore", () => {
  const topics = async (t: EmbeddedTransport, input: number, changelog: number) => {
    await t.admin().createTopics([
      { name: "in", partitions: input },
      { name: "in.state", partitions: changelog },
    ]);
  };
  const store = (t: EmbeddedTransport) =>
    new PartitionedStore<Counter>({ dir: join(dir, "stores"), changelog: "in.state", input: "in", transport: t, codec, log: silent, index: (v) => v.open });

  it("restores only the assigned partitions, the newest value per key, and again from its checkpoint", async () => {
    const t = EmbeddedTransport.open(join(dir, "log"), { fsync: false });
    await topics(t, 3, 3);
    const p = await t.producer();
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    await p.send(
      keys.flatMap((k, i) => [1, 2].map((n) => ({ topic: "in.state", key: k, value: codec.encode("in.state", { n: i * 10 + n, open: n === 1 }) as Buffer }))),
    );
    const s = store(t);
    await s.assign([1]);
    const mine = keys.filter((k) => keyPartition(k, 3) === 1);
    for (const k of mine) expect(s.partition(1).get(k)).toEqual({ n: keys.indexOf(k) * 10 + 2, open: false });
    expect(() => s.partition(0)).toThrow(/not restored on this member/);
    s.drop([1]);

    // Later writes by another owner: the next restore on this disk replays them over its checkpoint.
    const k = mine[0];
    await p.send([{ topic: "in.state", key: k, value: codec.encode("in.state", { n: 99, open: true }) as Buffer }]);
    await s.assign([1]);
    expect(s.partition(1).get(k)).toEqual({ n: 99, open: true });
    expect(s.partition(1).indexedValues()).toEqual([{ n: 99, open: true }]);
    expect(s.partition(1).checkpoint).toBe(BigInt((await t.admin().describeTopic("in.state"))[1].high));
    await s.close();
    await t.close();
  });

  it("refuses a changelog that is not partitioned like its input", async () => {
    const t = EmbeddedTransport.open(join(dir, "log"), { fsync: false });
    await topics(t, 3, 2);
    await expect(store(t).assign([0])).rejects.toThrow("in.state has 2 partitions and in has 3: a changelog must be co-partitioned with its input");
    await t.close();
  });
});
