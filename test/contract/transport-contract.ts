import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { partitionFor } from "../../services/runtime/partitioner.ts";
import type { LogRecord, OffsetCommit, StreamConsumer, Transport } from "../../services/runtime/transport.ts";

/**
 * The contract every transport honours, run against each implementation (test/contract/*.test.ts).
 * `make` returns a new connection to the SAME underlying log each call (for the embedded log, only
 * after the previous one was closed), so restarts are real reconnects.
 */
export function describeTransportContract(name: string, make: () => Promise<Transport>, opts: { settleMs?: number } = {}) {
  const settle = opts.settleMs ?? 0;
  const open: Transport[] = [];
  const connect = async () => {
    const t = await make();
    open.push(t);
    return t;
  };
  const closeAll = async () => {
    while (open.length) await open.pop()!.close();
  };
  afterEach(closeAll);

  const uid = () => randomBytes(4).toString("hex");
  const rec = (topic: string, key: string, v: string) => ({ topic, key, value: Buffer.from(v) });

  async function consumeUntil(c: StreamConsumer, done: (all: LogRecord[]) => boolean, timeoutMs = 30_000, onRecords?: (r: LogRecord[]) => Promise<void>) {
    const all: LogRecord[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms with ${all.length} records`)), timeoutMs);
      void c.start({
        onRecords: async (rs) => {
          all.push(...rs);
          await onRecords?.(rs);
          if (done(all)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return all;
  }

  describe(`transport contract: ${name}`, () => {
    it("creates, lists and describes topics", async () => {
      const t = await connect();
      const topic = `ct-topics-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 3 }]);
      expect(await t.admin().listTopics()).toContain(topic);
      const parts = await t.admin().describeTopic(topic);
      expect(parts.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
      expect(parts.every((p) => p.high === p.low)).toBe(true);
    });

    it("partitions by key with Kafka's murmur2 rule and keeps per-key order", async () => {
      const t = await connect();
      const topic = `ct-keys-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 4 }]);
      const p = await t.producer();
      const keys = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
      for (let i = 0; i < 10; i++) await p.send(keys.map((k) => rec(topic, k, `${k}:${i}`)));
      await p.close();
      const c = await t.consumer({ groupId: `g-${uid()}`, topic });
      const all = await consumeUntil(c, (a) => a.length >= 60);
      for (const k of keys) {
        const mine = all.filter((r) => r.key === k);
        expect(new Set(mine.map((r) => r.partition)), `key ${k} spread over partitions`).toEqual(new Set([partitionFor(topic, k, 4, { next: 0 })]));
        expect(mine.map((r) => r.value.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `${k}:${i}`));
      }
      const byPartition = new Map<number, number[]>();
      for (const r of all) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), Number(r.offset)]);
      for (const offs of byPartition.values()) expect(offs).toEqual([...offs].sort((a, b) => a - b));
    });

    it("commits outputs and input offsets together, and a restarted member resumes at the committed offset", async () => {
      const group = `g-${uid()}`;
      const input = `ct-in-${uid()}`;
      const output = `ct-out-${uid()}`;
      let t = await connect();
      await t.admin().createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 2 },
      ]);
      const p = await t.producer();
      await p.send(Array.from({ length: 10 }, (_, i) => rec(input, `k${i}`, `v${i}`)));
      await p.close();

      const c = await t.consumer({ groupId: group, topic: input, instanceId: "contract-0" });
      await consumeUntil(
        c,
        (a) => a.length >= 6,
        30_000,
        async (rs) => {
          const first6 = rs.filter((r) => Number(r.offset) < 6);
          if (!first6.length) return;
          const last = Number(first6[first6.length - 1].offset);
          await c.commit(
            first6.map((r) => rec(output, r.key!, `out-${r.value}`)),
            [{ topic: input, partition: 0, offset: String(last + 1) }],
          );
        },
      );
      await c.close();
      await closeAll();

      t = await connect();
      if (settle) await new Promise((r) => setTimeout(r, settle));
      expect(await t.admin().groupOffsets(group, input)).toEqual([{ topic: input, partition: 0, offset: "6" }]);
      const outs = await t.admin().describeTopic(output);
      expect(outs.reduce((n, x) => n + Number(x.high) - Number(x.low), 0)).toBeGreaterThanOrEqual(6);
      const reader = await t.consumer({ groupId: `g-${uid()}`, topic: output });
      const outRecords = await consumeUntil(reader, (a) => a.length >= 6);
      expect(outRecords.map((r) => r.value.toString()).sort()).toEqual(["out-v0", "out-v1", "out-v2", "out-v3", "out-v4", "out-v5"]);
      await reader.close();

      const resumed = await t.consumer({ groupId: group, topic: input, instanceId: "contract-0" });
      const rest = await consumeUntil(resumed, (a) => a.length >= 4);
      expect(rest.map((r) => r.offset)).toEqual(["6", "7", "8", "9"]);
    });

    it("spreads a group's partitions over its members and hands them over when one leaves", async () => {
      const t = await connect();
      const topic = `ct-group-${uid()}`;
      const group = `g-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 4 }]);
      const owned = [new Set<number>(), new Set<number>()];
      const members = await Promise.all([0, 1].map((i) => t.consumer({ groupId: group, topic, instanceId: `m${i}-${uid()}` })));
      await Promise.all(
        members.map((m, i) =>
          m.start({
            onRecords: async () => {},
            onAssigned: (ps) => ps.forEach((x) => owned[i].add(x.partition)),
            onRevoked: (ps) => ps.forEach((x) => owned[i].delete(x.partition)),
          }),
        ),
      );
      const balanced = () => owned[0].size > 0 && owned[1].size > 0 && owned[0].size + owned[1].size === 4 && new Set([...owned[0], ...owned[1]]).size === 4;
      await waitFor(balanced, 60_000, () => `assignment ${[...owned[0]]} / ${[...owned[1]]}`);
      await members[1].close();
      await waitFor(
        () => owned[0].size === 4,
        60_000,
        () => `after leave: ${[...owned[0]]}`,
      );
      await members[0].close();
    });

    it("replays from an offset and from a timestamp by moving a group's offsets", async () => {
      const t = await connect();
      const topic = `ct-replay-${uid()}`;
      const group = `g-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 1 }]);
      const p = await t.producer();
      await p.send([0, 1, 2, 3, 4].map((i) => rec(topic, "k", `early${i}`)));
      await new Promise((r) => setTimeout(r, 50));
      const cut = Date.now();
      await new Promise((r) => setTimeout(r, 50));
      await p.send([0, 1, 2].map((i) => rec(topic, "k", `late${i}`)));
      await p.close();

      const byTime: OffsetCommit[] = await t.admin().offsetsForTime(topic, cut);
      expect(byTime).toEqual([{ topic, partition: 0, offset: "5" }]);
      await t.admin().setGroupOffsets(group, byTime);
      let c = await t.consumer({ groupId: group, topic });
      let got = await consumeUntil(c, (a) => a.length >= 3);
      expect(got.map((r) => r.value.toString())).toEqual(["late0", "late1", "late2"]);
      await c.close();

      await t.admin().setGroupOffsets(group, [{ topic, partition: 0, offset: "2" }]);
      c = await t.consumer({ groupId: group, topic });
      got = await consumeUntil(c, (a) => a.length >= 6);
      expect(got.map((r) => r.offset)).toEqual(["2", "3", "4", "5", "6", "7"]);
      await c.close();
    });

    it("pauses and resumes delivery per partition", async () => {
      const t = await connect();
      const topic = `ct-pause-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 1 }]);
      const p = await t.producer();
      const c = await t.consumer({ groupId: `g-${uid()}`, topic });
      const seen: string[] = [];
      let pausedOnce = false;
      await c.start({
        onRecords: async (rs) => {
          seen.push(...rs.map((r) => r.value.toString()));
          if (!pausedOnce) {
            pausedOnce = true;
            c.pause([{ topic, partition: 0 }]);
          }
        },
      });
      await p.send([rec(topic, "k", "a")]);
      await waitFor(
        () => seen.length >= 1,
        30_000,
        () => `seen ${seen}`,
      );
      await p.send([rec(topic, "k", "b")]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(seen).toEqual(["a"]);
      c.resume([{ topic, partition: 0 }]);
      await waitFor(
        () => seen.length >= 2,
        30_000,
        () => `seen ${seen}`,
      );
      expect(seen).toEqual(["a", "b"]);
      await p.close();
      await c.close();
    });

    it("takes pause and resume while it is still starting, and a pause made then holds once it runs", async () => {
      const t = await connect();
      const topic = `ct-early-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 2 }]);
      const keyFor = (partition: number) => Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => partitionFor(topic, k, 2, { next: 0 }) === partition)!;
      const c = await t.consumer({ groupId: `g-${uid()}`, topic });
      const seen: string[] = [];
      const assigned = new Set<number>();
      const starting = c.start({
        onRecords: async (rs) => void seen.push(...rs.map((r) => r.value.toString())),
        onAssigned: (ps) => ps.forEach((x) => assigned.add(x.partition)),
      });
      // the runner's backpressure may pause and resume at any moment, before the consumer runs too
      c.pause([
        { topic, partition: 0 },
        { topic, partition: 1 },
      ]);
      c.resume([{ topic, partition: 1 }]);
      await starting;
      await waitFor(
        () => assigned.size === 2,
        60_000,
        () => `assigned ${[...assigned]}`,
      );
      const p = await t.producer();
      await p.send([rec(topic, keyFor(0), "p0"), rec(topic, keyFor(1), "p1")]);
      await waitFor(
        () => seen.includes("p1"),
        30_000,
        () => `seen ${seen}`,
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect(seen).toEqual(["p1"]);
      c.resume([{ topic, partition: 0 }]);
      await waitFor(
        () => seen.length >= 2,
        30_000,
        () => `seen ${seen}`,
      );
      expect(seen).toEqual(["p1", "p0"]);
      await p.close();
      await c.close();
    });

    it("a pause ends with the partition's revocation: assigned back, it is delivered again without a resume", async () => {
      const t = await connect();
      const topic = `ct-repause-${uid()}`;
      const group = `g-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 2 }]);
      const keyFor = (partition: number) => Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => partitionFor(topic, k, 2, { next: 0 }) === partition)!;
      const owned = [new Set<number>(), new Set<number>()];
      const seen: string[] = [];
      const handlers = (i: number) => ({
        onRecords: async (rs: LogRecord[]) => void (i === 0 && seen.push(...rs.map((r) => r.value.toString()))),
        onAssigned: (ps: OffsetCommit[]) => ps.forEach((x) => owned[i].add(x.partition)),
        onRevoked: (ps: { partition: number }[]) => ps.forEach((x) => owned[i].delete(x.partition)),
      });
      const a = await t.consumer({ groupId: group, topic, instanceId: `a-${uid()}` });
      await a.start(handlers(0));
      await waitFor(
        () => owned[0].size === 2,
        60_000,
        () => `a owns ${[...owned[0]]}`,
      );
      // the runner's backpressure: everything it owns is paused
      a.pause([0, 1].map((partition) => ({ topic, partition })));
      const b = await t.consumer({ groupId: group, topic, instanceId: `b-${uid()}` });
      await b.start(handlers(1));
      await waitFor(
        () => owned[0].size === 1 && owned[1].size === 1,
        60_000,
        () => `a owns ${[...owned[0]]}, b owns ${[...owned[1]]}`,
      );
      // ...and it lifts the pause from what it still owns; the revoked partition is no longer its to resume
      a.resume([...owned[0]].map((partition) => ({ topic, partition })));
      await b.close();
      await waitFor(
        () => owned[0].size === 2,
        60_000,
        () => `after b left, a owns ${[...owned[0]]}`,
      );
      const p = await t.producer();
      await p.send([rec(topic, keyFor(0), "p0"), rec(topic, keyFor(1), "p1")]);
      await waitFor(
        () => seen.length >= 2,
        30_000,
        () => `seen ${seen}`,
      );
      expect(seen.sort()).toEqual(["p0", "p1"]);
      await p.close();
      await a.close();
    });

    it("reads partitions from given offsets to their ends, transactional tail included, however slowly the records are taken", async () => {
      const t = await connect();
      const topic = `ct-read-${uid()}`;
      const input = `ct-read-in-${uid()}`;
      await t.admin().createTopics([
        { name: topic, partitions: 2 },
        { name: input, partitions: 1 },
      ]);
      const keyFor = (partition: number) => Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => partitionFor(topic, k, 2, { next: 0 }) === partition)!;
      // Several fetches' worth per partition (a fetch takes up to 1 MB of one)...
      const big = (p: number, i: number) => rec(topic, keyFor(p), `${p}-${i}-`.padEnd(150_000, "x"));
      const p = await t.producer();
      for (let i = 0; i < 20; i += 4) await p.send([0, 1].flatMap((part) => [i, i + 1, i + 2, i + 3].map((j) => big(part, j))));
      // ...and a transaction last, so each partition ends with a commit marker no record stands for.
      await p.send([rec(input, "k", "go")]);
      await p.close();
      const c = await t.consumer({ groupId: `g-${uid()}`, topic: input });
      await consumeUntil(c, (a) => a.length >= 1);
      await c.commit(
        [0, 1].map((part) => rec(topic, keyFor(part), `${part}-tx-`)),
        [{ topic: input, partition: 0, offset: "1" }],
      );
      await c.close();

      const read: string[] = [];
      await t.readPartitions(
        topic,
        [
          { topic, partition: 0, offset: "0" },
          { topic, partition: 1, offset: "18" },
        ],
        async (rs) => {
          read.push(...rs.map((r) => `${r.partition}@${r.offset}:${r.value.toString().split("-").slice(0, 2).join("-")}`));
          // a restore writing each batch to disk on a loaded machine
          await new Promise((r) => setTimeout(r, 700));
        },
      );
      const expected = [...Array.from({ length: 20 }, (_, i) => `0@${i}:0-${i}`), "0@20:0-tx", "1@18:1-18", "1@19:1-19", "1@20:1-tx"];
      expect(read.sort()).toEqual(expected.sort());
    });

    it("a new group with fromBeginning=false starts at the end of the log", async () => {
      const t = await connect();
      const topic = `ct-latest-${uid()}`;
      await t.admin().createTopics([{ name: topic, partitions: 1 }]);
      const p = await t.producer();
      await p.send([rec(topic, "k", "old")]);
      const c = await t.consumer({ groupId: `g-${uid()}`, topic, fromBeginning: false });
      const seen: string[] = [];
      let assigned = false;
      await c.start({ onRecords: async (rs) => void seen.push(...rs.map((r) => r.value.toString())), onAssigned: () => void (assigned = true) });
      await waitFor(
        () => assigned,
        60_000,
        () => "never assigned",
      );
      await new Promise((r) => setTimeout(r, settle || 200));
      await p.send([rec(topic, "k", "new")]);
      await waitFor(
        () => seen.length >= 1,
        30_000,
        () => `seen ${seen}`,
      );
      expect(seen).toEqual(["new"]);
      await p.close();
      await c.close();
    });
  });
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
