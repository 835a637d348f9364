// `npm run bench -- runtime [--only a|b] [--n-a N] [--n-b N] [--concurrency-b N] [--commit-records-b N]`, under test/infra/with-infra.sh (it needs KAFKA_BROKERS).
// (a) one partition, process = wait 200 ms, 100 in flight: records/s against the ideal 500, embedded and Kafka.
// (b) a no-op 3-stage pipeline on Kafka against raw kafkajs produce→consume of the same records, in the same run;
//     and, for context, the same 3 hops in bare kafkajs (what the topology alone costs on this machine).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import "../../services/runtime/kafka/kafkajs-patch.ts";
import kafkajs from "kafkajs";
import { pino } from "pino";
import { z } from "zod";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { KafkaTransport, parseBrokers } from "../../services/runtime/kafka/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import type { Transport } from "../../services/runtime/transport.ts";
import { type Item, item, itemCodec } from "../runtime/support/items.ts";
import { spawnTs } from "../runtime/support/killer.ts";

const Args = z.object({
  only: z.enum(["a", "b"]).optional(),
  nA: z.coerce.number().int().positive().default(10_000),
  nB: z.coerce.number().int().positive().default(50_000),
  /**
   * (b): records in flight per service, and input records per transaction. A no-op stage is bound by
   * transactions: ~5 broker round trips each, so fewer, larger ones go faster, up to where kafkajs'
   * quadratic per-partition grouping of a batch takes over (measured here: 1000 → 18%, 5000 → 31%,
   * 10000 → 15% of raw on a loaded machine).
   */
  concurrencyB: z.coerce.number().int().positive().default(5_000),
  commitRecordsB: z.coerce.number().int().positive().default(5_000),
});

function parseArgs(args: string[]): z.output<typeof Args> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    if (!flag.startsWith("--") || args[i + 1] === undefined) throw new Error(`bench runtime: expected --flag value pairs, got "${args.slice(i).join(" ")}"`);
    raw[flag.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())] = args[i + 1];
  }
  const r = Args.safeParse(raw);
  if (!r.success) throw new Error(`bench runtime: ${r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; ")}`);
  return r.data;
}

const log = pino({ level: "warn" }, pino.destination(2));
const quiet = pino({ level: "fatal" }, pino.destination(2));
const uid = () => randomBytes(3).toString("hex");
const encode = (x: Item) => Buffer.from(JSON.stringify(x));

async function produceItems(t: Transport, topic: string, n: number): Promise<void> {
  const p = await t.producer();
  for (let i = 0; i < n; i += 1_000) await p.send(Array.from({ length: Math.min(1_000, n - i) }, (_, j) => ({ topic, key: `item-${i + j}`, value: encode(item(i + j)) })));
  await p.close();
}

async function committedTotal(t: Transport, group: string, topic: string): Promise<number> {
  return (await t.admin().groupOffsets(group, topic)).reduce((a, o) => a + Number(o.offset), 0);
}

/** (a): time from the first process() call to the commit of the last record. */
async function slowStage(t: Transport, n: number): Promise<{ seconds: number; perSecond: number }> {
  const input = `bench-a-${uid()}`;
  const output = `${input}.out`;
  await t.admin().createTopics([
    { name: input, partitions: 1 },
    { name: output, partitions: 1 },
    { name: `${input}.dlq`, partitions: 1 },
  ]);
  await produceItems(t, input, n);
  let first = 0;
  const stage: StageDef<Item> = {
    name: `bench-a-${uid()}`,
    input,
    outputs: [output],
    process: async (x) => {
      first ||= performance.now();
      await sleep(200);
      return [{ topic: output, key: x.id, value: x }];
    },
  };
  const runner = new StageRunner({ transport: t, codec: itemCodec(), stage: stage as StageDef, log, concurrency: 100, commitIntervalMs: 50 });
  await runner.start();
  const deadline = Date.now() + 600_000;
  while ((await committedTotal(t, stage.name, input)) < n) {
    if (Date.now() > deadline) throw new Error(`bench (a) on ${t.kind}: not all ${n} records committed in 600 s`);
    await sleep(10);
  }
  const seconds = (performance.now() - first) / 1_000;
  await runner.close();
  return { seconds, perSecond: n / seconds };
}

/** A plain kafkajs consumer of `topic` that resolves `all` once it has seen `n` records. */
async function kafkajsSink(kafka: kafkajs.Kafka, topic: string, n: number): Promise<{ all: Promise<void>; seen: () => number; close: () => Promise<void> }> {
  const consumer = kafka.consumer({ groupId: `bench-sink-${uid()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= n) done();
    },
  });
  await ready;
  return { all, seen: () => seen, close: () => consumer.disconnect() };
}

async function createKafkajsTopics(kafka: kafkajs.Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 4, replicationFactor: 1 })), waitForLeaders: true });
  await admin.disconnect();
}

/** Sends the bench's records with a plain producer, 1,000 per request, as the raw baseline does. */
async function kafkajsProduce(kafka: kafkajs.Kafka, topic: string, n: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < n; i += 1_000) await producer.send({ topic, messages: Array.from({ length: Math.min(1_000, n - i) }, (_, j) => ({ key: `item-${i + j}`, value: encode(item(i + j)) })) });
  await producer.disconnect();
}

/** (b) baseline: produce → consume, one hop, plain kafkajs. */
async function rawKafka(brokers: string[], n: number): Promise<number> {
  const topic = `bench-raw-${uid()}`;
  const kafka = new kafkajs.Kafka({ clientId: "bench-raw", brokers, logLevel: kafkajs.logLevel.NOTHING });
  await createKafkajsTopics(kafka, [topic]);
  const sink = await kafkajsSink(kafka, topic, n);
  const t0 = performance.now();
  await kafkajsProduce(kafka, topic, n);
  await withDeadline(sink.all, 600_000, () => `raw consumer saw ${sink.seen()} of ${n} records`);
  const seconds = (performance.now() - t0) / 1_000;
  await sink.close();
  return seconds;
}

/**
 * (b) context: the pipeline's 3-hop topology in plain kafkajs: three relay processes, each consuming
 * and re-producing every message, no transactions, no codec. What the topology alone costs here.
 */
async function kafkajsRelay(brokers: string[], n: number): Promise<number> {
  const p = `bench-relay-${uid()}`;
  const topics = [0, 1, 2, 3].map((i) => `${p}.${i}`);
  const kafka = new kafkajs.Kafka({ clientId: "bench-relay", brokers, logLevel: kafkajs.logLevel.NOTHING });
  await createKafkajsTopics(kafka, topics);
  let ready = 0;
  const relays = [0, 1, 2].map((i) => spawnTs(["test/bench/support/kafkajs-relay.ts", brokers.join(","), topics[i], topics[i + 1], `${p}-r${i}`], process.env, (line) => line === "ready" && ready++));
  try {
    const sink = await kafkajsSink(kafka, topics[3], n);
    const deadline = Date.now() + 120_000;
    while (ready < 3) {
      for (const r of relays) if (r.proc.exitCode !== null) throw new Error(`relay exited: ${r.stderrTail()}`);
      if (Date.now() > deadline) throw new Error("relays did not join in 120 s");
      await sleep(50);
    }
    await sleep(2_000);
    const t0 = performance.now();
    await kafkajsProduce(kafka, topics[0], n);
    await withDeadline(sink.all, 600_000, () => `relay sink saw ${sink.seen()} of ${n} records`);
    const seconds = (performance.now() - t0) / 1_000;
    await sink.close();
    return seconds;
  } finally {
    for (const r of relays) r.proc.kill("SIGTERM");
    await Promise.all(relays.map((r) => r.exited));
  }
}

/**
 * (b): three no-op stages chained, each its own `sca service` process as deployed, produce → s0 → s1 → s2 →
 * a read_committed consumer; the same records as rawKafka. The clock starts once every stage owns its partitions.
 */
interface ServiceStats {
  commits: number;
  commitSeconds: number;
  cpuSeconds: number;
}

async function pipeline(brokers: string[], n: number, concurrency: number, commitRecords: number): Promise<{ seconds: number; services: ServiceStats[] }> {
  const p = `bench-pipe-${uid()}`;
  const topics = [0, 1, 2, 3].map((i) => `${p}.${i}`);
  const t = new KafkaTransport({ brokers, clientId: "bench-pipe" }, quiet);
  await t.admin().createTopics([...topics.map((name) => ({ name, partitions: 4 })), ...topics.slice(0, 3).map((name) => ({ name: `${name}.dlq`, partitions: 1 }))]);
  const ports: number[] = [];
  const services = [0, 1, 2].map((i) =>
    spawnTs(
      ["bin/sca.js", "service", `s${i}`, "--stage-module", "test/runtime/support/noop-stage.ts", "--transport", "kafka", "--brokers", brokers.join(","), "--metrics-port", "0", "--instance-id", "bench", "--concurrency", String(concurrency)],
      // plain JSON on every hop, like the raw baseline, even when with-infra.sh exports a registry
      { ...process.env, SCHEMA_REGISTRY_URL: "", NOOP_PREFIX: p, LOG_LEVEL: "info", SCA_KAFKA_LOG_LEVEL: "fatal", SCA_COMMIT_INTERVAL_MS: "50", SCA_MAX_COMMIT_RECORDS: String(commitRecords) },
      (line) => {
        const entry = JSON.parse(line) as { msg: string; port?: number };
        if (entry.msg === "health server listening") ports.push(entry.port!);
      },
    ),
  );
  try {
    const sink = await t.consumer({ groupId: `${p}-sink`, topic: topics[3], instanceId: "sink" });
    let seen = 0;
    let assigned = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    await sink.start({
      onAssigned: (ps) => (assigned += ps.length),
      onRecords: async (rs) => {
        seen += rs.length;
        if (seen >= n) done();
      },
    });
    const ready = async () => ports.length === 3 && (await Promise.all(ports.map((port) => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false)))).every(Boolean);
    const deadline = Date.now() + 120_000;
    while (assigned < 4 || !(await ready())) {
      for (const s of services) if (s.proc.exitCode !== null) throw new Error(`bench service exited: ${s.stderrTail()}`);
      if (Date.now() > deadline) throw new Error("bench pipeline did not become ready in 120 s");
      await sleep(50);
    }
    // readiness means joined; give the group a moment to settle its assignment before the clock starts
    await sleep(2_000);
    const t0 = performance.now();
    await produceItems(t, topics[0], n);
    await withDeadline(all, 600_000, () => `pipeline sink saw ${seen} of ${n} records`);
    const seconds = (performance.now() - t0) / 1_000;
    await sink.close();
    const stats = await Promise.all(ports.map(async (port) => serviceStats(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())));
    return { seconds, services: stats };
  } finally {
    for (const s of services) s.proc.kill("SIGTERM");
    await Promise.all(services.map((s) => s.exited));
    await t.close();
  }
}

/** A bench that stalls must fail, not hang. */
async function withDeadline<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What explains a pipeline run: how many transactions each service made, how long they took, how much CPU it used. */
function serviceStats(metrics: string): ServiceStats {
  const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  return {
    commits: value(/^sca_commits_total\{[^}]*\} (\S+)$/m),
    commitSeconds: value(/^sca_commit_duration_seconds_sum\{[^}]*\} (\S+)$/m),
    cpuSeconds: value(/^process_cpu_seconds_total (\S+)$/m),
  };
}

export async function run(args: string[]): Promise<{ table: string; data: unknown }> {
  const opts = parseArgs(args);
  const env = process.env.KAFKA_BROKERS;
  if (!env) throw new Error("bench runtime needs KAFKA_BROKERS: run it as `bash test/infra/with-infra.sh npm run bench -- runtime`");
  const brokers = parseBrokers(env);
  const rows: string[] = [];
  const os = await import("node:os");
  // other work on the machine skews every number here: the load average says how much
  const data: Record<string, unknown> = { cpus: os.cpus().length, loadAverageAtStart: os.loadavg() };

  if (opts.only !== "b") {
    const dir = mkdtempSync(join(tmpdir(), "sca-bench-"));
    const embedded = EmbeddedTransport.open(dir);
    const e = await slowStage(embedded, opts.nA);
    await embedded.close();
    rmSync(dir, { recursive: true, force: true });
    const kafka = new KafkaTransport({ brokers, clientId: "bench-a" }, quiet);
    const k = await slowStage(kafka, opts.nA);
    await kafka.close();
    data.a = { records: opts.nA, ideal: 500, embedded: e, kafka: k };
    rows.push(
      `| (a) 1 partition, 200 ms/record, 100 in flight, ${opts.nA} records | embedded | ${e.perSecond.toFixed(0)} rec/s | ${((e.perSecond / 500) * 100).toFixed(1)}% of ideal 500 | target ≥ 90% |`,
      `| (a) 1 partition, 200 ms/record, 100 in flight, ${opts.nA} records | kafka | ${k.perSecond.toFixed(0)} rec/s | ${((k.perSecond / 500) * 100).toFixed(1)}% of ideal 500 | target ≥ 90% |`,
    );
  }
  if (opts.only !== "a") {
    const raw = await rawKafka(brokers, opts.nB);
    const relay = await kafkajsRelay(brokers, opts.nB);
    const { seconds: pipe, services } = await pipeline(brokers, opts.nB, opts.concurrencyB, opts.commitRecordsB);
    const ratio = raw / pipe;
    data.b = { records: opts.nB, concurrency: opts.concurrencyB, commitRecords: opts.commitRecordsB, rawSeconds: raw, rawPerSecond: opts.nB / raw, relaySeconds: relay, relayPerSecond: opts.nB / relay, pipelineSeconds: pipe, pipelinePerSecond: opts.nB / pipe, ratio, ratioToRelay: relay / pipe, services };
    rows.push(
      `| (b) raw kafkajs produce→consume, ${opts.nB} records, 4 partitions | kafka | ${(opts.nB / raw).toFixed(0)} rec/s | baseline | |`,
      `| (b) context: the same 3 hops in bare kafkajs (3 relay processes, auto-commit, no transactions, no codec) | kafka | ${(opts.nB / relay).toFixed(0)} rec/s | ${((raw / relay) * 100).toFixed(1)}% of raw | |`,
      `| (b) no-op 3-stage pipeline, 3 sca service processes (transactions, read_committed), same records | kafka | ${(opts.nB / pipe).toFixed(0)} rec/s | ${(ratio * 100).toFixed(1)}% of raw, ${((relay / pipe) * 100).toFixed(1)}% of the bare 3 hops | target ≥ 50% of raw |`,
    );
  }
  const table = ["| case | transport | throughput | vs | target |", "|---|---|---|---|---|", ...rows].join("\n");
  return { table, data };
}
