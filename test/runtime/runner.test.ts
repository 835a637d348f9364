import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DlqEnvelope } from "../../schemas/records.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { PoisonError } from "../../services/runtime/errors.ts";
import { type RunnerOptions, StageRunner } from "../../services/runtime/runner.ts";
import type { Emit, StageDef } from "../../services/runtime/stage.ts";
import type { TopicPartition, Transport } from "../../services/runtime/transport.ts";
import { drain, until } from "./support/drain.ts";
import { forwarding, wrapConsumers } from "./support/wrap-consumers.ts";
import { type Item, item, itemCodec } from "./support/items.ts";

const IN = "rt.in";
const OUT = "rt.out";
const DLQ = "rt.in.dlq";
const silent = pino({ level: "silent" });

let dir: string;
let transport: EmbeddedTransport;
let registry: Registry;
const runners: StageRunner[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "sca-runner-"));
  transport = EmbeddedTransport.open(dir, { fsync: false });
  registry = new Registry();
  await transport.admin().createTopics([
    { name: IN, partitions: 1 },
    { name: OUT, partitions: 1 },
    { name: DLQ, partitions: 1 },
  ]);
});

afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
  await transport.close();
  rmSync(dir, { recursive: true, force: true });
});

function stage(process: (input: Item, attempt: number) => Promise<Emit[]>, extra: Partial<StageDef<Item>> = {}): StageDef<Item> {
  return { name: "rt", input: IN, outputs: [OUT], process: (input, ctx) => process(input, ctx.attempt), ...extra };
}

const forward = (x: Item): Emit[] => [{ topic: OUT, key: x.id, value: { ...x, hops: [...x.hops, "rt"] } }];

async function run(def: StageDef<Item>, opts: Partial<RunnerOptions> = {}, t: Transport = transport): Promise<StageRunner> {
  const r = new StageRunner({
    transport: t,
    codec: itemCodec(),
    stage: def as StageDef,
    registry,
    log: silent,
    commitIntervalMs: 20,
    lagIntervalMs: 50,
    ...opts,
  });
  runners.push(r);
  await r.start();
  return r;
}

async function produce(values: Array<Buffer | unknown>, topic = IN): Promise<void> {
  const p = await transport.producer();
  await p.send(values.map((v, i) => ({ topic, key: `k${i}`, value: Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v)) })));
  await p.close();
}

const committed = async (group = "rt") => Number((await transport.admin().groupOffsets(group, IN))[0]?.offset ?? 0);
const high = async (topic: string) => Number((await transport.admin().describeTopic(topic))[0].high);
const seqs = async (n: number) => (await drain(transport, OUT, { min: n })).map((r) => (JSON.parse(r.value.toString()) as Item).seq);
const dlqs = async (n: number) =>
  (await drain(transport, DLQ, { min: n })).map((r) => ({ key: r.key, env: DlqEnvelope.parse(JSON.parse(r.value.toString())) }));

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return m.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

describe("StageRunner on the embedded transport", () => {
  it("keeps many records in flight on ONE partition and commits them in offset order after out-of-order completion", async () => {
    const n = 60;
    await produce(Array.from({ length: n }, (_, i) => item(i)));
    let active = 0;
    let maxActive = 0;
    const finished: number[] = [];
    await run(
      stage(async (x) => {
        maxActive = Math.max(maxActive, ++active);
        await sleep((n - x.seq) * 2);
        active--;
        finished.push(x.seq);
        return forward(x);
      }),
      { concurrency: 20 },
    );
    await until(async () => (await committed()) === n, "all records committed");
    expect(maxActive).toBe(20);
    expect(finished.slice(0, 5)).not.toEqual([0, 1, 2, 3, 4]);
    expect(await seqs(n)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(await metric("sca_records_in_total", { stage: "rt" })).toBe(n);
    expect(await metric("sca_records_out_total", { stage: "rt", topic: OUT })).toBe(n);
    expect(await metric("sca_commits_total", { stage: "rt" })).toBeGreaterThan(0);
    const text = await registry.metrics();
    expect(text).toMatch(/sca_process_duration_seconds_bucket\{le="600",stage="rt"\} 60/);
    expect(text).toMatch(/sca_commit_duration_seconds_count\{stage="rt"\} \d+/);
  });

  it("holds every output and the offset behind an unfinished record, then releases them together", async () => {
    await produce(Array.from({ length: 10 }, (_, i) => item(i)));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let done = 0;
    const runner = await run(
      stage(async (x) => {
        if (x.seq === 0) await gate;
        done++;
        return forward(x);
      }),
      { concurrency: 10 },
    );
    await until(() => done === 9, "the nine records after the head");
    await sleep(200); // ten commit intervals
    expect(await committed()).toBe(0);
    expect(await high(OUT)).toBe(0);
    expect(runner.inFlight).toBe(10);
    await until(async () => (await metric("sca_consumer_lag", { stage: "rt" })) === 10, "lag 10 reported");
    open();
    await until(async () => (await committed()) === 10, "the whole prefix committed");
    expect(await seqs(10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await until(() => runner.inFlight === 0, "nothing held");
    await until(async () => (await metric("sca_consumer_lag", { stage: "rt" })) === 0, "lag back to 0");
  });

  it("sends raw non-schema bytes to the DLQ with a readable reason and the original bytes, and goes on with the next record", async () => {
    const raw = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x07, 0xff, 0x66, 0x6f, 0x6f]);
    await produce([raw, { id: "no-seq", hops: [] }, item(2)]);
    await run(stage(async (x) => forward(x)));
    const [undecodable, invalid] = await dlqs(2);
    expect(undecodable.key).toBe("k0");
    expect(undecodable.env).toMatchObject({ source_topic: IN, partition: 0, offset: "0", stage: "rt", reason: "undecodable", attempts: 1 });
    expect(undecodable.env.error).toMatch(/bytes on topic "rt.in" are not JSON/);
    expect(Buffer.from(undecodable.env.value_base64, "base64")).toEqual(raw);
    expect(invalid.env).toMatchObject({ offset: "1", reason: "schema_invalid" });
    expect(invalid.env.error).toMatch(/seq: .*\(got missing\)/);
    expect(await seqs(1)).toEqual([2]);
    await until(async () => (await committed()) === 3, "all three committed");
    expect(await metric("sca_records_failed_total", { stage: "rt", reason: "undecodable" })).toBe(1);
    expect(await metric("sca_records_failed_total", { stage: "rt", reason: "schema_invalid" })).toBe(1);
  });

  it("retries transient errors with backoff, then gives up into the DLQ as retries_exhausted", async () => {
    await produce([item(0), item(1), item(2)]);
    const attempts = new Map<number, number[]>();
    const t0 = Date.now();
    const times: number[] = [];
    await run(
      stage(async (x, attempt) => {
        attempts.set(x.seq, [...(attempts.get(x.seq) ?? []), attempt]);
        if (x.seq === 0) times.push(Date.now() - t0);
        if (x.seq === 0 && attempt < 3) throw new Error(`flaky ${attempt}`);
        if (x.seq === 1) throw new Error(`upstream 503 on try ${attempt}`);
        return forward(x);
      }),
      { maxAttempts: 3, backoff: { baseMs: 40, maxMs: 1_000 } },
    );
    const [dead] = await dlqs(1);
    expect(dead.env).toMatchObject({ offset: "1", reason: "retries_exhausted", attempts: 3 });
    expect(dead.env.error).toMatch(/process failed 3 times; last error: upstream 503 on try 3/);
    expect(await seqs(2)).toEqual([0, 2]);
    expect(attempts.get(0)).toEqual([1, 2, 3]);
    expect(attempts.get(1)).toEqual([1, 2, 3]);
    // backoff: >= 20 ms (half of 40) before the 1st retry, >= 40 ms (half of 80) before the 2nd
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(19);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(39);
    expect(await metric("sca_retries_total", { stage: "rt" })).toBe(4);
    expect(await metric("sca_records_failed_total", { stage: "rt", reason: "retries_exhausted" })).toBe(1);
  });

  it("DLQs the input as poison at once for a PoisonError, an output its schema refuses, or an undeclared output topic", async () => {
    await produce([item(0), item(1), item(2), item(3)]);
    const calls: number[] = [];
    await run(
      stage(async (x) => {
        calls.push(x.seq);
        if (x.seq === 0) throw new PoisonError("the model answered in French", "unparsable_output", { sample: 3 });
        if (x.seq === 1) return [{ topic: OUT, key: x.id, value: { ...x, seq: -1 } }];
        if (x.seq === 2) return [{ topic: "elsewhere", key: x.id, value: x }];
        return forward(x);
      }),
    );
    const ds = await dlqs(3);
    expect(ds.map((d) => d.env.reason)).toEqual(["unparsable_output", "poison", "poison"]);
    expect(ds[0].env).toMatchObject({ error: "the model answered in French", attempts: 1, detail: { sample: 3 } });
    expect(ds[1].env.error).toMatch(/stage "rt" produced an invalid output: .*seq: .*\(got -1\)/);
    expect(ds[2].env.error).toMatch(/emitted to topic "elsewhere", which is not one of its outputs \(rt.out\)/);
    expect(await seqs(1)).toEqual([3]);
    expect(calls.sort()).toEqual([0, 1, 2, 3]);
  });

  it("applies backpressure: pauses at the bound, resumes below it, never runs more than `concurrency` at once", async () => {
    const n = 3_000;
    await produce(Array.from({ length: n }, (_, i) => item(i)));
    const calls = { pause: 0, resume: 0 };
    // The real embedded transport, with its consumers' pause/resume counted.
    const counted = wrapConsumers(transport, (c) => ({
      ...forwarding(c),
      pause: (tps: TopicPartition[]) => (calls.pause++, c.pause(tps)),
      resume: (tps: TopicPartition[]) => (calls.resume++, c.resume(tps)),
    }));
    let active = 0;
    let maxActive = 0;
    const runner = await run(
      stage(async (x) => {
        maxActive = Math.max(maxActive, ++active);
        await sleep(1);
        active--;
        return forward(x);
      }),
      { concurrency: 8, maxBuffered: 32 },
      counted,
    );
    let maxHeld = 0;
    const sampler = setInterval(() => (maxHeld = Math.max(maxHeld, runner.inFlight)), 1);
    await until(async () => (await committed()) === n, "all committed", 60_000);
    clearInterval(sampler);
    expect(maxActive).toBe(8);
    expect(calls.pause).toBeGreaterThan(1);
    expect(calls.resume).toBeGreaterThan(1);
    // The bound plus at most one delivery batch of the transport (the embedded log hands out 500 at a time).
    expect(maxHeld).toBeGreaterThan(32);
    expect(maxHeld).toBeLessThanOrEqual(32 + 500);
    expect(await high(OUT)).toBe(n);
  });

  it("on close finishes in-flight work and commits it; cut short, the rest is redone by the next run exactly once", async () => {
    const n = 40;
    await produce(Array.from({ length: n }, (_, i) => item(i)));
    let started = 0;
    const slow = stage(async (x) => {
      started++;
      await sleep(x.seq < 10 ? 150 : 3_000);
      return forward(x);
    });
    const first = await run(slow, { concurrency: 10, shutdownTimeoutMs: 2_000 });
    await until(() => started === 10, "ten in flight");
    await first.close();
    expect(await committed()).toBe(10);
    expect(await high(OUT)).toBe(10);

    const second = await run(slow, { concurrency: 40, shutdownTimeoutMs: 0 });
    await until(() => started >= n + 10, "second run started everything");
    await second.close(); // no grace: the 30 slow ones are dropped, not committed
    expect(await committed()).toBe(10);

    await run(stage(async (x) => forward(x)));
    await until(async () => (await committed()) === n, "third run finished");
    expect(await seqs(n)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("after a failed commit reopens the consumer from the committed offsets: nothing lost, nothing twice", async () => {
    const n = 300;
    await produce(Array.from({ length: n }, (_, i) => item(i)));
    let commits = 0;
    let consumersOpened = 0;
    // The real embedded transport, whose third commit fails before reaching the log (as a lost broker would).
    const failing = wrapConsumers(transport, (c) => {
      consumersOpened++;
      return {
        ...forwarding(c),
        commit: async (outs, offs) => {
          if (++commits === 3) throw new Error("connection to the log lost");
          return c.commit(outs, offs);
        },
      };
    });
    await run(
      stage(async (x) => {
        await sleep(x.seq % 5);
        return forward(x);
      }),
      { concurrency: 16, backoff: { baseMs: 20, maxMs: 100 } },
      failing,
    );
    await until(async () => (await committed()) === n, "all committed");
    expect(commits).toBeGreaterThan(3);
    expect(consumersOpened).toBe(2);
    expect(await seqs(n)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("drops a commit that fails after its partition was revoked, without reopening the consumer", async () => {
    await produce(Array.from({ length: 20 }, (_, i) => item(i)));
    let consumersOpened = 0;
    let revoke: (() => void) | undefined;
    // The partition is taken away while its commit is in flight, and the commit then fails, as a
    // Kafka commit does once the partition's new owner has fenced the producer.
    const fenced = wrapConsumers(transport, (c) => {
      consumersOpened++;
      return {
        ...forwarding(c),
        start: (handlers) => {
          revoke = () => handlers.onRevoked?.([{ topic: IN, partition: 0 }]);
          return c.start(handlers);
        },
        commit: async () => {
          revoke?.();
          throw new Error("producer was fenced: a newer instance with the same id is running");
        },
      };
    });
    const logged: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void logged.push(JSON.parse(line).msg) });
    await run(
      stage(async (x) => forward(x)),
      { log },
      fenced,
    );
    await until(async () => logged.includes("commit of revoked partitions dropped"), "the failed commit");
    await sleep(200);
    expect(consumersOpened).toBe(1);
    expect(logged).not.toContain("commit failed; reopening the consumer from the committed offsets");
  });

  it("drops the work of revoked partitions and hands them over without loss or duplicates", async () => {
    const topic = "rt.multi";
    await transport.admin().createTopics([{ name: topic, partitions: 4 }]);
    const n = 400;
    const p = await transport.producer();
    await p.send(Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, value: Buffer.from(JSON.stringify(item(i))) })));
    const def = (name: string): StageDef<Item> => ({
      name: "rt-multi",
      input: topic,
      outputs: [OUT],
      process: async (x) => {
        await sleep(5 + (x.seq % 7));
        return [{ topic: OUT, key: x.id, value: { ...x, hops: [name] } }];
      },
    });
    await run(def("a"), { concurrency: 16 });
    await until(
      async () => (await transport.admin().groupOffsets("rt-multi", topic)).reduce((a, o) => a + Number(o.offset), 0) > 50,
      "first member made progress",
    );
    await run(def("b"), { concurrency: 16 }); // joins the group: partitions are revoked from "a" mid-flight
    await until(async () => (await transport.admin().groupOffsets("rt-multi", topic)).reduce((a, o) => a + Number(o.offset), 0) === n, "all committed", 60_000);
    const out = (await drain(transport, OUT, { min: n })).map((r) => JSON.parse(r.value.toString()) as Item);
    expect(out).toHaveLength(n);
    expect(new Set(out.map((x) => x.seq)).size).toBe(n);
    expect(new Set(out.map((x) => x.hops[0]))).toEqual(new Set(["a", "b"]));
  });
});
