// `npm run bench -- runtime [--only a|b] [--n-a N] [--n-b N] [--stages-b N,M] [--rounds-b N] [--concurrency-b N] [--commit-records-b N]`, under test/infra/with-infra.sh (it needs KAFKA_BROKERS).
// (a) one partition, process = wait 200 ms, 100 in flight: records/s against the ideal 500, embedded and Kafka.
// (b) a no-op 3-stage pipeline on Kafka against raw kafkajs produce→consume of the same records, in the same run;
//     and, for context, raw produce→consume and the same hops as bare and as transactional relays in
//     each client measured (kafkajs, @platformatic/kafka, and @confluentinc/kafka-javascript when
//     SCA_BENCH_CONFLUENT_DIR points at a build of it, support/confluent.ts): what the topology and the
//     client's transactions alone cost on this machine, per client. Every path runs in each of
//     --rounds-b rounds, every other round in reverse order, so load that drifts during the run weighs on
//     all paths alike; each reports the CPU-seconds of every process in it and of the broker, which
//     other work on the machine disturbs less than records/s.
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
import { type ConfluentKafka, confluentKafka, confluentProducer, confluentSink, confluentTopics } from "./support/confluent.ts";
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
  /** (b): how many times every path runs, alternating the order. */
  roundsB: z.coerce.number().int().positive().default(2),
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
  /** CPU-seconds of this process in the run: the producer and the sink (raw: the producer and the consumer). */
  benchCpuSeconds: number;
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
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await send(WARMUP, n);
  await until(
    () => seen() >= WARMUP + n,
    () => `${what}: sink saw ${seen() - WARMUP} of ${n} records`,
  );
  const seconds = (performance.now() - t0) / 1_000;
  const own = process.cpuUsage(own0);
  const cpu1 = cpuTicks();
  return {
    seconds,
    benchCpuSeconds: (own.user + own.system) / 1e6,
    machine: { busy: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total), brokerCpuSeconds: (cpu1.broker - cpu0.broker) / USER_HZ },
  };
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

/** User + system ticks a process has used (/proc/<pid>/stat): all its threads, librdkafka's native ones included. */
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
  name: "kafkajs" | "@platformatic/kafka" | "@confluentinc/kafka-javascript";
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

function confluentClient(kafka: ConfluentKafka): BareClient {
  return {
    name: "@confluentinc/kafka-javascript",
    createTopics: (topics) => confluentTopics(kafka, topics),
    sink: (topic) => confluentSink(kafka, topic, `bench-sink-${uid()}`),
    producer: async (topic) => {
      const p = await confluentProducer(kafka);
      return { send: (from, n) => sendItems((messages) => p.send({ topic, messages }), from, n), close: () => p.disconnect() };
    },
    relayScript: "test/bench/support/confluent-relay.ts",
    txRelayScript: "test/bench/support/confluent-tx-relay.ts",
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
    // a relay that dies mid-run would leave the sink short until the timeout, with its error unseen
    const seen = () => {
      for (const [i, r] of relays.entries()) if (r.proc.exitCode !== null) throw new Error(`relay ${i} of ${client.name} exited: ${r.stderrTail()}`);
      return sink.seen();
    };
    const run = await timed(producer.send, seen, n, `relay ${client.name}`, async () => void (before = cpu()));
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

/** One path of (b) in one round: what it moved and the CPU each of its processes used meanwhile. */
interface PathRun extends Timed {
  round: number;
  path: string;
  client: BareClient["name"];
  kind: "raw" | "relay" | "txRelay" | "pipeline";
  /** 1-minute load average when the path started. */
  loadAverage: number;
  /** CPU-seconds of each relay or service process, in hop order (none for raw). */
  hopCpuSeconds: number[];
  services?: ServiceStats[];
}

function bPaths(
  clients: BareClient[],
  brokers: string[],
  opts: z.output<typeof Args>,
  k: number,
): Array<Pick<PathRun, "path" | "client" | "kind"> & { run: () => Promise<Timed & Pick<PathRun, "hopCpuSeconds" | "services">> }> {
  const n = opts.nB;
  const hops = `${k} hop${k > 1 ? "s" : ""}`;
  return [
    ...clients.flatMap((c) => [
      {
        path: `raw ${c.name} produce→consume, one process`,
        client: c.name,
        kind: "raw" as const,
        run: async () => ({ ...(await rawKafka(c, n)), hopCpuSeconds: [] }),
      },
      {
        path: `${hops}, bare ${c.name} relays (auto-commit, no transactions, no codec)`,
        client: c.name,
        kind: "relay" as const,
        run: async () => {
          const r = await bareRelay(c, brokers, n, k);
          return { ...r, hopCpuSeconds: r.relayCpuSeconds };
        },
      },
      {
        path: `${hops}, transactional ${c.name} relays (read_committed, input offsets in the transaction, no codec, no runner)`,
        client: c.name,
        kind: "txRelay" as const,
        run: async () => {
          const r = await bareRelay(c, brokers, n, k, true);
          return { ...r, hopCpuSeconds: r.relayCpuSeconds };
        },
      },
    ]),
    {
      path: `no-op ${k}-stage pipeline, ${k} sca service process${k > 1 ? "es" : ""} on kafkajs (transactions, read_committed)`,
      client: "kafkajs",
      kind: "pipeline",
      run: async () => {
        const r = await pipeline(brokers, n, k, opts.concurrencyB, opts.commitRecordsB);
        return { ...r, hopCpuSeconds: r.services.map((s) => s.cpuSeconds) };
      },
    },
  ];
}

/**
 * Each run against raw kafkajs of its round, in records/s and as "ceilingRatio". Records/s also count
 * how much CPU each path got from the scheduler, and of a loaded machine five processes get more than
 * one. The ceiling ratio takes the CPU-seconds instead: raw kafkajs is one process whose JS thread
 * does nearly all its work, so it cannot move more than 1 core ÷ its CPU per record (on an idle
 * machine it comes close: 1 core, with the machine 67–73% busy); a path of several processes can use
 * every core, so at most `cpus` cores ÷ the CPU per record of all its processes and the broker.
 */
function rate(results: PathRun[], n: number, cpus: number) {
  const per50k = 50_000 / n;
  const all = (r: PathRun) => r.benchCpuSeconds + r.hopCpuSeconds.reduce((a, b) => a + b, 0) + r.machine.brokerCpuSeconds;
  return results.map((r) => {
    const raw = results.find((x) => x.round === r.round && x.kind === "raw" && x.client === "kafkajs")!;
    return {
      ...r,
      perSecond: n / r.seconds,
      ratio: raw.seconds / r.seconds,
      cpuPer50k: {
        bench: r.benchCpuSeconds * per50k,
        hops: r.hopCpuSeconds.map((x) => x * per50k),
        broker: r.machine.brokerCpuSeconds * per50k,
        all: all(r) * per50k,
      },
      coresUsed: all(r) / r.seconds,
      ceilingRatio: (cpus * raw.benchCpuSeconds) / all(r),
    };
  });
}

function bTable(k: number, rated: ReturnType<typeof rate>, n: number, cpus: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const f2 = (x: number) => x.toFixed(2);
  const paths = [...new Set(rated.map((r) => r.path))];
  const of = (p: string) => rated.filter((r) => r.path === p);
  const range = (xs: number[], f: (x: number) => string) => (xs.length ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : "");
  const reached = rated.filter((r) => r.kind === "relay" && r.ratio >= 0.5);
  return [
    `(b) ${k} hop${k > 1 ? "s" : ""}, ${n} records (after a ${WARMUP}-record warm-up), 4 partitions, each path in each round, after a round not kept that warms the broker up. Producer and sink (raw: producer and consumer) share the bench process; every relay or service is its own process. CPU-s per 50k records, from /proc and the processes' own counters, native threads included.`,
    "",
    `| path | rec/s vs raw kafkajs, per round | ceiling ratio (${cpus} cores ÷ this path's CPU per record, vs 1 core ÷ raw kafkajs process's), per round | CPU-s per 50k per hop | all CPU-s per 50k (producer+sink, hops, broker) |`,
    "|---|---|---|---|---|",
    ...paths.map((p) => {
      const rs = of(p);
      return `| ${p} | ${rs.map((r) => pct(r.ratio)).join(", ")} | ${rs.map((r) => pct(r.ceilingRatio)).join(", ")} | ${range(
        rs.flatMap((r) => r.cpuPer50k.hops),
        f2,
      )} | ${rs.map((r) => f2(r.cpuPer50k.all)).join(", ")} |`;
    }),
    "",
    `Bare ${k}-hop relay chains at ≥ 50% of raw kafkajs in records/s: ${reached.length ? `**${reached.map((r) => `${r.client} (round ${r.round}, ${pct(r.ratio)})`).join(", ")}**` : "none"}.`,
    "",
    "| round | path | load (1 min) | machine busy | rec/s | vs raw kafkajs | CPU-s per 50k: producer+sink | each hop | broker | all | cores used by the path |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rated.map(
      (r) =>
        `| ${r.round} | ${r.path} | ${r.loadAverage.toFixed(1)} | ${pct(r.machine.busy)} | ${r.perSecond.toFixed(0)} | ${pct(r.ratio)} | ${f2(r.cpuPer50k.bench)} | ${r.cpuPer50k.hops.map(f2).join(", ")} | ${f2(r.cpuPer50k.broker)} | ${f2(r.cpuPer50k.all)} | ${f2(r.coresUsed)} |`,
    ),
  ].join("\n");
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
  const sections: string[] = [];
  if (opts.only !== "a") {
    const cfk = confluentKafka(brokers);
    // the broker's CPU while no client talks to it: each path's broker CPU-seconds include this much per second of the run
    const idle0 = cpuTicks().broker;
    await sleep(5_000);
    const brokerIdle = (cpuTicks().broker - idle0) / USER_HZ / 5;
    const clients = [kafkajsClient(brokers), platformaticClient(brokers), ...(cfk ? [confluentClient(cfk)] : [])];
    const runs = [];
    for (const k of opts.stagesB) {
      const paths = bPaths(clients, brokers, opts, k);
      const results: PathRun[] = [];
      // round 0 is not kept: a fresh broker's JVM compiles its hot paths (fetch, produce, transactions) during
      // the first minute or two of traffic, and without it the broker's CPU per record of every path was
      // 1.5-3x higher in round 1 than in round 2, whichever order the round ran in
      for (let round = 0; round <= opts.roundsB; round++)
        for (const p of round % 2 ? paths : paths.toReversed()) {
          const loadAverage = os.loadavg()[0];
          const run = await p.run();
          if (round > 0) results.push({ round, path: p.path, client: p.client, kind: p.kind, loadAverage, ...run });
        }
      const rated = rate(results, opts.nB, os.cpus().length);
      runs.push({ stages: k, paths: rated });
      sections.push(bTable(k, rated, opts.nB, os.cpus().length));
    }
    data.b = {
      records: opts.nB,
      rounds: opts.roundsB,
      concurrency: opts.concurrencyB,
      commitRecords: opts.commitRecordsB,
      clients: clients.map((c) => c.name),
      brokerIdleCpuPerSecond: brokerIdle,
      runs,
    };
    sections.push(
      `Broker CPU while idle, before (b): ${brokerIdle.toFixed(3)} CPU-s per second (part of every path's broker figure, more in slower runs).`,
      cfk
        ? "@confluentinc/kafka-javascript: measured, from the build in SCA_BENCH_CONFLUENT_DIR."
        : "@confluentinc/kafka-javascript: **skipped**, SCA_BENCH_CONFLUENT_DIR is not set (support/confluent.ts says why it is not a dependency).",
    );
  }
  const load = (data.loadAverageAtStart as number[]).map((x) => x.toFixed(1)).join(", ");
  const table = [
    `Load average at start: ${load} on ${data.cpus} cores (other work on the machine skews throughput; CPU-seconds less so).`,
    ...(rows.length ? ["", "| case | transport | throughput | vs | target |", "|---|---|---|---|---|", ...rows] : []),
    ...sections.flatMap((x) => ["", x]),
  ].join("\n");
  return { table, data };
}
