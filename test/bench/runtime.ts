// `npm run bench -- runtime [--only a|b] [--n-a N] [--n-b N] [--stages-b N,M] [--concurrency-b N] [--commit-records-b N]`, under test/infra/with-infra.sh (it needs KAFKA_BROKERS).
// (a) one partition, process = wait 200 ms, 100 in flight: records/s against the ideal 500, embedded and Kafka.
// (b) a no-op 3-stage pipeline on Kafka against raw kafkajs produce→consume of the same records, in the same run;
//     and, for context, raw produce→consume and the same hops as bare and as transactional relays in
//     each client measured (kafkajs, @platformatic/kafka): what the topology and the client's
//     transactions alone cost on this machine, per client, with each relay's CPU-seconds.
//     By default also with one stage: what each stage keeps when it does not share the CPUs with two others,
//     as in a deployment with a pod per stage. SCA_PROF=<dir> writes a CPU profile of every spawned process.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import kafkajs from "../../services/runtime/kafka/kafkajs.ts";
import { pino } from "pino";
import { z } from "zod";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { KafkaTransport, parseBrokers } from "../../services/runtime/kafka/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import type { Producer, Transport } from "../../services/runtime/transport.ts";
import { type Item, item, itemCodec } from "../runtime/support/items.ts";
import { spawnTs } from "../runtime/support/killer.ts";
import { platformaticProducer, platformaticSink, platformaticTopics } from "./support/platformatic.ts";

const Args = z.object({
  only: z.enum(["a", "b"]).optional(),
  nA: z.coerce.number().int().positive().default(10_000),
  nB: z.coerce.number().int().positive().default(50_000),
  /** Pipeline lengths to measure, e.g. "3,1": 3 is the target's; 1 is what each stage keeps when it has the machine to itself. */
  stagesB: z
    .string()
    .default("3,1")
    .transform((v) => v.split(",").map(Number))
    .pipe(z.array(z.number().int().min(1).max(9)).min(1)),
  /**
   * (b): records in flight per service, and input records per transaction. A no-op stage is bound by
   * transactions (~5 broker round trips each), so it needs large ones. Since kafkajs' quadratic
   * per-partition grouping was patched (kafkajs-patch.ts), 5,000, 10,000 and 20,000 measure the same
   * within noise (19-24% of raw for 3 stages): a lane commits whatever is done when its previous
   * transaction lands, so transaction size follows the commit latency rather than this cap.
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

/** Records from..from+n of the bench, 1,000 per request. */
async function sendItems(send: (batch: Array<{ key: string; value: Buffer }>) => Promise<unknown>, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i += 1_000)
    await send(Array.from({ length: Math.min(1_000, from + n - i) }, (_, j) => ({ key: `item-${i + j}`, value: encode(item(i + j)) })));
}

/** Sends records from..from+n of the bench to `topic` through one of our transports' producers. */
function itemSender(p: Producer, topic: string): (from: number, n: number) => Promise<void> {
  return (from, n) => sendItems((batch) => p.send(batch.map((m) => ({ topic, ...m }))), from, n);
}

async function produceItems(t: Transport, topic: string, n: number): Promise<void> {
  const p = await t.producer();
  await itemSender(p, topic)(0, n);
  await p.close();
}

/**
 * Records through a path once it is warm, as a long-running service is: WARMUP records first (JIT,
 * connections, first fetches), then the clock runs from sending the first of `n` more to the sink
 * seeing the last. Without it the one-hop baseline, over in a second, swung by ±30% between runs.
 */
const WARMUP = 10_000;

interface Timed {
  seconds: number;
  /** Share of all the machine's cores busy during the run, and the broker's CPU-seconds in it: is the run CPU-bound? */
  machine: { busy: number; brokerCpuSeconds: number };
}

async function timed(
  send: (from: number, n: number) => Promise<void>,
  seen: () => number,
  n: number,
  what: string,
  warm?: () => Promise<void>,
): Promise<Timed> {
  await send(0, WARMUP);
  await until(
    () => seen() >= WARMUP,
    () => `${what}: sink saw ${seen()} of ${WARMUP} warm-up records`,
  );
  await warm?.();
  const cpu0 = cpuTicks();
  const t0 = performance.now();
  await send(WARMUP, n);
  await until(
    () => seen() >= WARMUP + n,
    () => `${what}: sink saw ${seen() - WARMUP} of ${n} records`,
  );
  const seconds = (performance.now() - t0) / 1_000;
  const cpu1 = cpuTicks();
  return { seconds, machine: { busy: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total), brokerCpuSeconds: (cpu1.broker - cpu0.broker) / USER_HZ } };
}

/** Linux's clock ticks per second in /proc (USER_HZ), 100 on every mainstream architecture. */
const USER_HZ = 100;

/** Busy and total ticks of all cores (/proc/stat), and the test broker's (its pid file beside SCA_KAFKA_CTL). */
function cpuTicks(): { busy: number; total: number; broker: number } {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const t = fields.map(Number);
  const idle = t[3] + t[4];
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  let broker = NaN;
  const ctl = process.env.SCA_KAFKA_CTL;
  if (ctl) {
    try {
      broker = processTicks(readFileSync(join(dirname(ctl), "pid"), "utf8").trim());
    } catch {
      // a broker not started by our scripts: its CPU stays unknown
    }
  }
  return { busy: total - idle, total, broker };
}

/** User + system ticks a process has used (/proc/<pid>/stat). */
function processTicks(pid: string | number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(after[11]) + Number(after[12]);
}

/** Polls `cond` every `everyMs`. A bench that stalls must fail, not hang. */
async function until(cond: () => boolean | Promise<boolean>, what: () => string, ms = 600_000, everyMs = 2): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await sleep(everyMs);
  }
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
  await until(
    async () => (await committedTotal(t, stage.name, input)) >= n,
    () => `bench (a) on ${t.kind}: not all ${n} records committed`,
    600_000,
    10,
  );
  const seconds = (performance.now() - first) / 1_000;
  await runner.close();
  return { seconds, perSecond: n / seconds };
}

/** A plain kafkajs consumer of `topic` that counts the records it sees. */
async function kafkajsSink(kafka: kafkajs.Kafka, topic: string): Promise<{ seen: () => number; close: () => Promise<void> }> {
  const consumer = kafka.consumer({ groupId: `bench-sink-${uid()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
    },
  });
  await ready;
  return { seen: () => seen, close: () => consumer.disconnect() };
}

async function createKafkajsTopics(kafka: kafkajs.Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 4, replicationFactor: 1 })), waitForLeaders: true });
  await admin.disconnect();
}

/** A plain kafkajs producer sending the bench's records, as the raw baseline does. */
async function kafkajsProducer(kafka: kafkajs.Kafka, topic: string): Promise<{ send: (from: number, n: number) => Promise<void>; close: () => Promise<void> }> {
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  return { send: (from, n) => sendItems((messages) => producer.send({ topic, messages }), from, n), close: () => producer.disconnect() };
}

/** A client's bare paths: what raw produce→consume and the relays are made of. */
interface BareClient {
  name: "kafkajs" | "@platformatic/kafka";
  createTopics(topics: string[]): Promise<void>;
  sink(topic: string): Promise<{ seen: () => number; close: () => Promise<void> }>;
  producer(topic: string): Promise<{ send: (from: number, n: number) => Promise<void>; close: () => Promise<void> }>;
  relayScript: string;
  /** The same hop with read_committed and a transaction per commit carrying the input offsets. */
  txRelayScript: string;
}

function kafkajsClient(brokers: string[]): BareClient {
  const kafka = new kafkajs.Kafka({ clientId: "bench-bare", brokers, logLevel: kafkajs.logLevel.NOTHING });
  return {
    name: "kafkajs",
    createTopics: (topics) => createKafkajsTopics(kafka, topics),
    sink: (topic) => kafkajsSink(kafka, topic),
    producer: (topic) => kafkajsProducer(kafka, topic),
    relayScript: "test/bench/support/kafkajs-relay.ts",
    txRelayScript: "test/bench/support/kafkajs-tx-relay.ts",
  };
}

function platformaticClient(brokers: string[]): BareClient {
  return {
    name: "@platformatic/kafka",
    createTopics: (topics) => platformaticTopics(brokers, topics),
    sink: (topic) => platformaticSink(brokers, topic),
    producer: async (topic) => {
      const p = platformaticProducer(brokers, "bench-bare");
      return {
        send: (from, n) => sendItems((batch) => p.send({ messages: batch.map((m) => ({ topic, key: Buffer.from(m.key), value: m.value })) }), from, n),
        close: () => p.close(),
      };
    },
    relayScript: "test/bench/support/platformatic-relay.ts",
    txRelayScript: "test/bench/support/platformatic-tx-relay.ts",
  };
}

/** (b) baseline: produce → consume, one hop, a bare client. */
async function rawKafka(client: BareClient, n: number): Promise<Timed> {
  const topic = `bench-raw-${uid()}`;
  await client.createTopics([topic]);
  const sink = await client.sink(topic);
  const producer = await client.producer(topic);
  const run = await timed(producer.send, sink.seen, n, `raw ${client.name}`);
  await Promise.all([sink.close(), producer.close()]);
  return run;
}

/**
 * (b) context: the pipeline's hops in a bare client: relay processes, each consuming and
 * re-producing every message, no codec, no runner. What the topology alone costs here; with
 * `transactional`, what a client's transactions add (read_committed, input offsets committed in them).
 */
async function bareRelay(
  client: BareClient,
  brokers: string[],
  n: number,
  hops: number,
  transactional = false,
): Promise<Timed & { relayCpuSeconds: number[] }> {
  const p = `bench-relay-${uid()}`;
  const topics = Array.from({ length: hops + 1 }, (_, i) => `${p}.${i}`);
  await client.createTopics(topics);
  let ready = 0;
  const relays = topics
    .slice(0, hops)
    .map((_, i) =>
      spawnTs(
        [transactional ? client.txRelayScript : client.relayScript, brokers.join(","), topics[i], topics[i + 1], `${p}-r${i}`],
        process.env,
        (line) => line === "ready" && ready++,
      ),
    );
  try {
    const sink = await client.sink(topics[hops]);
    const producer = await client.producer(topics[0]);
    const deadline = Date.now() + 120_000;
    while (ready < hops) {
      for (const r of relays) if (r.proc.exitCode !== null) throw new Error(`relay exited: ${r.stderrTail()}`);
      if (Date.now() > deadline) throw new Error("relays did not join in 120 s");
      await sleep(50);
    }
    const cpu = () => relays.map((r) => processTicks(r.proc.pid!));
    let before: number[] = [];
    const run = await timed(producer.send, sink.seen, n, `relay ${client.name}`, async () => void (before = cpu()));
    const relayCpuSeconds = cpu().map((t, i) => (t - before[i]) / USER_HZ);
    await Promise.all([sink.close(), producer.close()]);
    return { ...run, relayCpuSeconds };
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
  /** GC pause seconds by kind (major, minor, incremental, weakcb) during the run. */
  gc: Record<string, number>;
}

async function pipeline(
  brokers: string[],
  n: number,
  stages: number,
  concurrency: number,
  commitRecords: number,
): Promise<Timed & { services: ServiceStats[] }> {
  const p = `bench-pipe-${uid()}`;
  const topics = Array.from({ length: stages + 1 }, (_, i) => `${p}.${i}`);
  const t = new KafkaTransport({ brokers, clientId: "bench-pipe" }, quiet);
  await t
    .admin()
    .createTopics([...topics.map((name) => ({ name, partitions: 4 })), ...topics.slice(0, stages).map((name) => ({ name: `${name}.dlq`, partitions: 1 }))]);
  const ports: number[] = [];
  const services = topics.slice(0, stages).map((_, i) =>
    spawnTs(
      [
        "bin/sca.js",
        "service",
        `s${i}`,
        "--stage-module",
        "test/runtime/support/noop-stage.ts",
        "--transport",
        "kafka",
        "--brokers",
        brokers.join(","),
        "--metrics-port",
        "0",
        "--instance-id",
        "bench",
        "--concurrency",
        String(concurrency),
      ],
      // plain JSON on every hop, like the raw baseline, even when with-infra.sh exports a registry
      {
        ...process.env,
        SCHEMA_REGISTRY_URL: "",
        NOOP_PREFIX: p,
        LOG_LEVEL: "info",
        SCA_KAFKA_LOG_LEVEL: "fatal",
        SCA_COMMIT_INTERVAL_MS: "50",
        SCA_MAX_COMMIT_RECORDS: String(commitRecords),
      },
      (line) => {
        const entry = JSON.parse(line) as { msg: string; port?: number };
        if (entry.msg === "health server listening") ports.push(entry.port!);
      },
    ),
  );
  try {
    const sink = await t.consumer({ groupId: `${p}-sink`, topic: topics[stages], instanceId: "sink" });
    let seen = 0;
    let assigned = 0;
    await sink.start({
      onAssigned: (ps) => (assigned += ps.length),
      onRecords: async (rs) => {
        seen += rs.length;
      },
    });
    const ready = async () =>
      ports.length === stages &&
      (
        await Promise.all(
          ports.map((port) =>
            fetch(`http://127.0.0.1:${port}/readyz`).then(
              (r) => r.status === 200,
              () => false,
            ),
          ),
        )
      ).every(Boolean);
    const deadline = Date.now() + 120_000;
    while (assigned < 4 || !(await ready())) {
      for (const s of services) if (s.proc.exitCode !== null) throw new Error(`bench service exited: ${s.stderrTail()}`);
      if (Date.now() > deadline) throw new Error("bench pipeline did not become ready in 120 s");
      await sleep(50);
    }
    const scrape = () => Promise.all(ports.map(async (port) => serviceStats(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())));
    const producer = await t.producer();
    let before: ServiceStats[] = [];
    const run = await timed(
      itemSender(producer, topics[0]),
      () => seen,
      n,
      "pipeline",
      async () => {
        before = await scrape();
      },
    );
    await Promise.all([sink.close(), producer.close()]);
    // startup and warm-up are not part of the run
    const stats = (await scrape()).map((s, i) => ({
      ...s,
      cpuSeconds: s.cpuSeconds - before[i].cpuSeconds,
      gc: Object.fromEntries(Object.entries(s.gc).map(([k, v]) => [k, v - (before[i].gc[k] ?? 0)])),
    }));
    return { ...run, services: stats };
  } finally {
    for (const s of services) s.proc.kill("SIGTERM");
    await Promise.all(services.map((s) => s.exited));
    await t.close();
  }
}

/** What explains a pipeline run: how many transactions each service made, how long they took, how much CPU it used during the run. */
function serviceStats(metrics: string): ServiceStats {
  const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  return {
    commits: value(/^sca_commits_total\{[^}]*\} (\S+)$/m),
    commitSeconds: value(/^sca_commit_duration_seconds_sum\{[^}]*\} (\S+)$/m),
    cpuSeconds: value(/^process_cpu_seconds_total (\S+)$/m),
    gc: Object.fromEntries([...metrics.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/gm)].map((m) => [m[1], Number(m[2])])),
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
    const runs = [];
    const clients = [kafkajsClient(brokers), platformaticClient(brokers)];
    const machine = (m: Timed["machine"]) => `machine ${(m.busy * 100).toFixed(0)}% busy, broker ${m.brokerCpuSeconds.toFixed(2)} CPU-s`;
    for (const k of opts.stagesB) {
      const hops = `${k} hop${k > 1 ? "s" : ""}`;
      // raw right before each pipeline, so every ratio compares runs seconds apart on the same machine state
      const rawRun = await rawKafka(clients[0], opts.nB);
      const raw = rawRun.seconds;
      rows.push(
        `| (b) raw kafkajs produce→consume, ${opts.nB} records, 4 partitions; ${machine(rawRun.machine)} | kafka | ${(opts.nB / raw).toFixed(0)} rec/s | baseline | |`,
      );
      const bare: Record<string, { raw: Timed; relay: Timed & { relayCpuSeconds: number[] }; txRelay: Timed & { relayCpuSeconds: number[] } }> = {};
      for (const c of clients) {
        const cRaw = c === clients[0] ? rawRun : await rawKafka(c, opts.nB);
        const relayRun = await bareRelay(c, brokers, opts.nB, k);
        const txRelayRun = await bareRelay(c, brokers, opts.nB, k, true);
        bare[c.name] = { raw: cRaw, relay: relayRun, txRelay: txRelayRun };
        if (c !== clients[0])
          rows.push(
            `| (b) raw ${c.name} produce→consume, same records; ${machine(cRaw.machine)} | kafka | ${(opts.nB / cRaw.seconds).toFixed(0)} rec/s | ${((raw / cRaw.seconds) * 100).toFixed(1)}% of raw kafkajs | |`,
          );
        rows.push(
          `| (b) context: the same ${hops} in bare ${c.name} (${k} relay process${k > 1 ? "es" : ""}, auto-commit, no transactions, no codec); ${machine(relayRun.machine)}, each relay ${relayRun.relayCpuSeconds.map((x) => x.toFixed(2)).join(", ")} CPU-s | kafka | ${(opts.nB / relayRun.seconds).toFixed(0)} rec/s | ${((raw / relayRun.seconds) * 100).toFixed(1)}% of raw kafkajs | |`,
          `| (b) context: the same ${hops} as transactional ${c.name} relays (read_committed, outputs and input offsets in one transaction, no codec, no runner); ${machine(txRelayRun.machine)}, each relay ${txRelayRun.relayCpuSeconds.map((x) => x.toFixed(2)).join(", ")} CPU-s | kafka | ${(opts.nB / txRelayRun.seconds).toFixed(0)} rec/s | ${((raw / txRelayRun.seconds) * 100).toFixed(1)}% of raw kafkajs | |`,
        );
      }
      const relay = bare.kafkajs.relay.seconds;
      const pipeRun = await pipeline(brokers, opts.nB, k, opts.concurrencyB, opts.commitRecordsB);
      const pipe = pipeRun.seconds;
      const { services } = pipeRun;
      const ratio = raw / pipe;
      runs.push({
        stages: k,
        rawSeconds: raw,
        rawPerSecond: opts.nB / raw,
        relaySeconds: relay,
        relayPerSecond: opts.nB / relay,
        bare: Object.fromEntries(
          Object.entries(bare).map(([name, b]) => [
            name,
            {
              rawPerSecond: opts.nB / b.raw.seconds,
              relayPerSecond: opts.nB / b.relay.seconds,
              relayCpuSeconds: b.relay.relayCpuSeconds,
              txRelayPerSecond: opts.nB / b.txRelay.seconds,
              txRelayCpuSeconds: b.txRelay.relayCpuSeconds,
              machine: { raw: b.raw.machine, relay: b.relay.machine, txRelay: b.txRelay.machine },
            },
          ]),
        ),
        pipelineSeconds: pipe,
        pipelinePerSecond: opts.nB / pipe,
        ratio,
        ratioToRelay: relay / pipe,
        machine: { raw: rawRun.machine, relay: bare.kafkajs.relay.machine, pipeline: pipeRun.machine },
        services,
      });
      rows.push(
        `| (b) no-op ${k}-stage pipeline, ${k} sca service process${k > 1 ? "es" : ""} (transactions, read_committed), same records; ${machine(pipeRun.machine)}, each service ${services.map((s) => s.cpuSeconds.toFixed(2)).join(", ")} CPU-s | kafka | ${(opts.nB / pipe).toFixed(0)} rec/s | **${(ratio * 100).toFixed(1)}% of raw**, ${((relay / pipe) * 100).toFixed(1)}% of the bare ${hops} | ${k === 3 ? "target ≥ 50% of raw" : "context: one stage alone"} |`,
      );
    }
    data.b = { records: opts.nB, concurrency: opts.concurrencyB, commitRecords: opts.commitRecordsB, runs };
  }
  const load = (data.loadAverageAtStart as number[]).map((x) => x.toFixed(1)).join(", ");
  const table = [
    `Load average at start: ${load} on ${data.cpus} cores (other work on the machine skews throughput; CPU-seconds less so).`,
    "",
    "| case | transport | throughput | vs | target |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  return { table, data };
}
