// `npm run bench -- rebalance [rate] [seconds]`: what a rebalance costs the selector on Kafka (a
// private broker). Verdicts arrive at a steady rate; two `sca service selector` replicas consume
// them; a third joins a third of the way in and one leaves (SIGTERM) two thirds in. Every 500 ms the
// group's committed offsets give the records/s consumed and the lag. Per move: the lowest 1-second
// rate after it, and how long until the lag is back to what it was before the move.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { startPrivateBroker } from "../kafka/private-broker.ts";
import { verdict } from "../selector/fixtures.ts";

const root = join(import.meta.dirname, "..", "..");
const TICK_MS = 500;

interface Sample {
  at: number;
  committed: number;
  produced: number;
}

export async function run(args: string[]): Promise<{ table: string; data: unknown }> {
  const rate = Number(args[0] ?? 1_000);
  const seconds = Number(args[1] ?? 60);
  const broker = await startPrivateBroker();
  const t = new KafkaTransport({ brokers: broker.brokers }, pino({ level: "silent" }));
  const dir = mkdtempSync(join(tmpdir(), "sca-bench-rebalance-"));
  // An empty benchmark folder: decontamination is not what this measures.
  const benchmarks = join(dir, "benchmarks");
  mkdirSync(benchmarks);
  const replicas: ChildProcess[] = [];
  const startReplica = (i: number) => {
    const env = {
      ...process.env,
      SCA_TRANSPORT: "kafka",
      KAFKA_BROKERS: broker.brokers.join(","),
      SCA_STATE_DIR: dir,
      SCA_INSTANCE_ID: `selector-${i}`,
      SCA_METRICS_PORT: "0",
      LOG_LEVEL: "warn",
      SCA_CONCURRENCY: "256",
      SCA_BENCHMARKS_DIR: benchmarks,
    };
    const c = spawn(process.execPath, [join(root, "bin", "sca.js"), "service", "selector"], { env, stdio: ["ignore", "ignore", "inherit"] });
    replicas.push(c);
    return c;
  };
  const samples: Sample[] = [];
  const moves: Array<{ what: string; at: number }> = [];
  try {
    await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: s.partitions, compacted: s.compacted })));
    const codec = new JsonCodec();
    const producer = await t.producer();
    startReplica(0);
    startReplica(1);
    // Both replicas up and consuming before the clock starts.
    const warmup = verdict("warmup", 0, 1, "pass");
    await producer.send([{ topic: "verdicts", key: warmup.instruction_id, value: codec.encode("verdicts", warmup) as Buffer }]);
    const committedNow = async () => (await t.admin().groupOffsets("selector", "verdicts")).reduce((n, o) => n + Number(o.offset), 0);
    for (let i = 0; (await committedNow()) < 1; i++) {
      if (i > 600) throw new Error("the selector replicas did not start within 5 minutes");
      await sleep(500);
    }
    await sleep(10_000);

    const start = Date.now();
    let produced = 1;
    let stop = false;
    const feeding = (async () => {
      let n = 0;
      while (!stop) {
        const due = Math.floor(((Date.now() - start) / 1000) * rate) - n;
        if (due > 0) {
          const vs = Array.from({ length: due }, (_, j) => verdict(`r${(n + j) >> 1}`, (n + j) & 1, 2, (n + j) % 3 ? "pass" : "fail"));
          await producer.send(vs.map((v) => ({ topic: "verdicts", key: v.instruction_id, value: codec.encode("verdicts", v) as Buffer })));
          n += due;
          produced = n + 1;
        }
        await sleep(50);
      }
    })();
    const base = await committedNow();
    while (Date.now() - start < seconds * 1000) {
      const elapsed = Date.now() - start;
      if (moves.length === 0 && elapsed >= (seconds * 1000) / 3) {
        startReplica(2);
        moves.push({ what: "a third replica joins (start)", at: elapsed });
      } else if (moves.length === 1 && elapsed >= (2 * seconds * 1000) / 3) {
        replicas[0].kill("SIGTERM");
        moves.push({ what: "a replica leaves (SIGTERM)", at: elapsed });
      }
      samples.push({ at: elapsed, committed: (await committedNow()) - base, produced: produced - 1 });
      await sleep(TICK_MS);
    }
    stop = true;
    await feeding;
    await producer.close();
  } finally {
    for (const c of replicas) c.kill("SIGTERM");
    await Promise.all(replicas.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.on("exit", r)) : undefined)));
    await t.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const rateAt = (i: number) => (i === 0 ? 0 : ((samples[i].committed - samples[i - 1].committed) * 1000) / (samples[i].at - samples[i - 1].at));
  const lag = (s: Sample) => s.produced - s.committed;
  const firstMove = moves[0]?.at ?? Infinity;
  const steady = samples.filter((s, i) => i > 0 && s.at > 5_000 && s.at < firstMove);
  const baseRate = steady.length ? steady.reduce((a, s) => a + rateAt(samples.indexOf(s)), 0) / steady.length : Number.NaN;
  const effects = moves.map((m, k) => {
    const before = samples.filter((s) => s.at <= m.at).at(-1);
    const lagBefore = before ? lag(before) : 0;
    const until = moves[k + 1]?.at ?? Infinity;
    const after = samples.map((s, i) => ({ s, i })).filter(({ s }) => s.at > m.at && s.at < until);
    // 1-second rates: two ticks
    const secRates = after.slice(1).map(({ s, i }) => ((s.committed - samples[i - 2].committed) * 1000) / (s.at - samples[i - 2].at));
    const minRate = secRates.length ? Math.min(...secRates) : Number.NaN;
    const peakLag = Math.max(lagBefore, ...after.map(({ s }) => lag(s)));
    const recovered = after.find(({ s }, j) => j > 0 && lag(s) <= Math.max(lagBefore, rate * 0.5));
    return { ...m, lagBefore, peakLag, minRate: Math.round(minRate), recoverMs: recovered ? recovered.s.at - m.at : null };
  });
  const table = [
    `The selector as \`sca service\` processes on Kafka (private broker, verdicts with ${allTopicSpecs().find((s) => s.name === "verdicts")!.partitions} partitions), ${rate} verdicts/s offered for ${seconds} s, 2-core machine shared with other work (1-min load average ${loadavg()[0].toFixed(1)} at the end).`,
    `Steady consumption before the first move: ${Math.round(baseRate)} records/s.`,
    "",
    "| move | at s | lag before | peak lag | lowest 1-s rate after (records/s) | back to the lag before (s) |",
    "|---|---:|---:|---:|---:|---:|",
    ...effects.map(
      (e) =>
        `| ${e.what} | ${(e.at / 1000).toFixed(1)} | ${e.lagBefore} | ${e.peakLag} | ${e.minRate} | ${e.recoverMs === null ? "not within the window" : (e.recoverMs / 1000).toFixed(1)} |`,
    ),
  ].join("\n");
  return { table, data: { rate, seconds, baseRate, effects, samples } };
}
