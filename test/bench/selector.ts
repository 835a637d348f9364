// `npm run bench -- selector [sizes...]`: restore of the selector's partitioned state on Kafka (a
// private broker). For each size (default 100000 and 1000000 decided instructions in
// selector.state): a cold restore (empty store folder: the whole changelog), a warm one (the store
// folder of the cold run, after 1 % more updates: the changelog's tail only), and the former
// in-memory restore for comparison. Each restore is its own process; RSS is measured in it.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import type { SelectorState } from "../../schemas/records.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { toRow } from "../../services/stages/selector/row.ts";
import { STATE_TOPIC } from "../../services/stages/selector/stage.ts";
import { startPrivateBroker } from "../kafka/private-broker.ts";
import { verdict } from "../selector/fixtures.ts";

const sh = promisify(execFile);
const PARTITIONS = 12;
const SEND_BATCH = 2_000;
const HEAP_MAX = 200_000;

/** A decided instruction's state as the selector leaves it: its samples and the row it emitted (about 2 KB of JSON). */
function decided(i: number): SelectorState {
  const v = verdict(`bench-${i}`, 0, 10, "pass");
  const row = toRow(v, "pass-random", new Date("2026-01-01T00:00:00Z"));
  return {
    instruction_id: v.instruction_id,
    n_samples: 10,
    category: "function implementation",
    difficulty: "easy",
    policy: "pass-random",
    samples: Array.from({ length: 10 }, (_, s) => ({
      sample_index: s,
      verdict_id: `${v.id.slice(0, -2)}${String(s).padStart(2, "0")}`,
      judged_at: "2026-01-01T00:00:00.000Z",
      status: s % 3 ? "fail" : "pass",
      contaminated: false,
    })),
    pending: [],
    pending_since: null,
    best: null,
    emitted: row,
    last_decision: { outcome: "selected", n_passed: 4, decided_at: "2026-01-01T00:00:00.000Z", complete: true },
  };
}

async function produce(t: KafkaTransport, from: number, to: number): Promise<void> {
  const codec = new JsonCodec();
  const p = await t.producer();
  for (let i = from; i < to; i += SEND_BATCH) {
    const records = [];
    for (let j = i; j < Math.min(to, i + SEND_BATCH); j++) {
      const s = decided(j);
      records.push({ topic: STATE_TOPIC, key: s.instruction_id, value: codec.encode(STATE_TOPIC, s) as Buffer });
    }
    await p.send(records);
  }
  await p.close();
}

interface Restore {
  mode: string;
  restoreMs: number;
  readyMs: number;
  rssMiB: number;
  rssAnonMiB: number;
  heapMiB: number;
  /** Changelog records the store replayed (store modes). */
  replayed?: number;
}

async function restore(mode: "store" | "heap", brokers: string, storeDir: string): Promise<Restore> {
  const { stdout, stderr } = await sh(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(import.meta.dirname, "support", "selector-restore.ts"), mode, brokers, storeDir, String(PARTITIONS)],
    { maxBuffer: 1 << 24 },
  );
  const restored = stderr
    .split("\n")
    .filter((l) => l.includes('"state restored"'))
    .map((l) => JSON.parse(l) as { replayed: number; ms: number });
  return { ...(JSON.parse(stdout.trim().split("\n").at(-1)!) as Restore), replayed: restored[0]?.replayed };
}

export async function run(args: string[]): Promise<{ table: string; data: unknown }> {
  const sizes = args.length ? args.map(Number) : [100_000, 1_000_000];
  const broker = await startPrivateBroker();
  const brokers = broker.brokers.join(",");
  const t = new KafkaTransport({ brokers: broker.brokers }, pino({ level: "silent" }));
  const rows: Array<{ instructions: number; cold: Restore; warm: Restore; tail: number; heap?: Restore; load: number }> = [];
  try {
    await t.admin().createTopics([
      { name: "verdicts", partitions: PARTITIONS },
      { name: STATE_TOPIC, partitions: PARTITIONS, compacted: true },
    ]);
    let produced = 0;
    for (const n of sizes) {
      await produce(t, produced, n);
      produced = n;
      const storeDir = mkdtempSync(join(tmpdir(), "sca-bench-selector-"));
      try {
        const load = loadavg()[0];
        const cold = await restore("store", brokers, storeDir);
        // 1 % of the instructions change after the checkpoint: the warm restore replays only those.
        const tail = Math.max(1, Math.floor(n / 100));
        await produce(t, n - tail, n);
        const warm = await restore("store", brokers, storeDir);
        // The former restore holds every state on the heap: past ~1e5 it needs gigabytes, so it is measured only up to there.
        const heap = n <= HEAP_MAX ? await restore("heap", brokers, storeDir) : undefined;
        rows.push({ instructions: n, cold, warm, tail, heap, load });
        console.error(JSON.stringify(rows.at(-1)));
      } finally {
        rmSync(storeDir, { recursive: true, force: true });
      }
    }
  } finally {
    await t.close();
    await broker.stop();
  }
  const line = (n: number, what: string, r: Restore) =>
    `| ${n.toLocaleString("en")} | ${what} | ${r.replayed?.toLocaleString("en") ?? "all"} | ${(r.restoreMs / 1000).toFixed(1)} | ${(r.readyMs / 1000).toFixed(1)} | ${r.rssMiB} | ${r.rssAnonMiB} | ${r.heapMiB} |`;
  const table = [
    `Selector state restore on Kafka (private broker, ${PARTITIONS} partitions, ~2 KB per state), one process per restore, 2-core machine shared with other work (1-min load average at the start: ${rows.map((r) => r.load.toFixed(1)).join(", ")}).`,
    "cold = empty store folder, the whole changelog; warm = the folder of the cold run after 1 % of the instructions changed (only the changelog since the checkpoint); in-memory = the former restore (every state decoded onto the heap).",
    "RSS counts LMDB's file-backed pages the process touched; RssAnon is the process's own memory.",
    "",
    "| instructions | restore | records replayed | restore s | process ready s | RSS MiB | RssAnon MiB | heap MiB |",
    "|---:|---|---:|---:|---:|---:|---:|---:|",
    ...rows.flatMap((r) => [
      line(r.instructions, "cold (store)", r.cold),
      line(r.instructions, `warm (store, ${r.tail.toLocaleString("en")} new)`, r.warm),
      ...(r.heap ? [line(r.instructions, "in-memory (before)", r.heap)] : []),
    ]),
  ].join("\n");
  return { table, data: rows };
}
