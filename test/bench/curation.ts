// `npm run bench -- curation [--pairs N] [--dup-rate R]`: the curation stage on the embedded log,
// through the real stage runner, as `sca run` runs it. N selected pairs in (a share R of them
// near-duplicates of earlier ones); reports pairs/s through the stage, pairs/s of the pure
// decision (features + index, no log) on the same pairs, the heap the index holds at N pairs, and
// the time to restore it from the changelog.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { pino } from "pino";
import { Registry } from "prom-client";
import { z } from "zod";
import type { SelectedPair } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { configDigest, loadCurationConfig } from "../../services/stages/curation/config.ts";
import { pairFeatures } from "../../services/stages/curation/features.ts";
import { CurationIndex } from "../../services/stages/curation/index.ts";
import { createStage } from "../../services/stages/curation/stage.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { pair } from "../curation/pairs.ts";

const Args = z.object({
  pairs: z.coerce.number().int().positive().default(100_000),
  dupRate: z.coerce.number().min(0).max(1).default(0.1),
});

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const silent = pino({ level: "silent" });
const codec = new JsonCodec();
const mb = (b: number) => (b / 2 ** 20).toFixed(0);

/** Pairs shaped like real ones: a task of 40-80 words, prose, a function of 4-9 statements; some near-copies. */
function syntheticPairs(n: number, dupRate: number): SelectedPair[] {
  let x = 42;
  const rand = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pick = (k: number) => Math.floor(rand() * k);
  const word = () => `w${pick(8000)}`;
  const words = (k: number) => Array.from({ length: k }, word).join(" ");
  const instructions: string[] = [];
  const out: SelectedPair[] = [];
  for (let i = 1; i <= n; i++) {
    let instruction: string;
    if (instructions.length > 0 && rand() < dupRate) {
      const w = instructions[pick(instructions.length)].split(" ");
      w[pick(w.length)] = word();
      instruction = w.join(" ");
    } else instruction = words(40 + pick(40));
    instructions.push(instruction);
    const body = Array.from({ length: 4 + pick(6) }, () => `    ${word()} = ${word()} ${["+", "*", "-"][pick(3)]} ${pick(100)}`).join("\n");
    out.push(
      pair({
        n: i,
        instruction,
        prose: words(30 + pick(60)),
        code: `def f${i}_${word()}(${word()}, ${word()}):\n${body}\n    return ${pick(9)}`,
        tests: `assert f${i}(1, 2) is not None`,
      }),
    );
  }
  return out;
}

export async function run(argv: string[]): Promise<{ table: string; data: unknown }> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) flags[argv[i].replace(/^--/, "").replace(/-(\w)/g, (_, c: string) => c.toUpperCase())] = argv[i + 1];
  const args = Args.parse(flags);
  const pairs = syntheticPairs(args.pairs, args.dupRate);

  // The decision alone, on a slice of the same pairs.
  const slice = pairs.slice(0, Math.min(pairs.length, 20_000));
  const config = loadCurationConfig({});
  const parser = await pythonParser();
  const pure = new CurationIndex({ skip: config.skip, threshold: config.threshold, numPerm: config.numPerm, config: configDigest(config) });
  let t0 = performance.now();
  for (const p of slice) {
    const { raw: _raw, ...row } = p;
    pure.apply(p.instruction_id, row, pairFeatures(p, parser, config));
  }
  const pureRate = slice.length / ((performance.now() - t0) / 1000);

  const dir = mkdtempSync(join(tmpdir(), "sca-bench-curation-"));
  try {
    const t = EmbeddedTransport.open(dir, { fsync: false });
    await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: s.partitions, compacted: s.compacted })));
    const producer = await t.producer();
    for (let i = 0; i < pairs.length; i += 1000) {
      await producer.send(
        await Promise.all(pairs.slice(i, i + 1000).map(async (p) => ({ topic: "selected", key: p.instruction_id, value: await codec.encode("selected", p) }))),
      );
    }
    pairs.length = 0;
    const before = heap();
    const stage = await createStage({}, { transport: t, codec, log: silent, registry: new Registry() });
    const runner = new StageRunner({
      transport: t,
      codec,
      stage: stage as StageDef,
      registry: new Registry(),
      log: silent,
      commitIntervalMs: 100,
      maxBuffered: 1024,
    });
    t0 = performance.now();
    await runner.start();
    for (;;) {
      const [{ high }] = await t.admin().describeTopic("selected");
      const [done] = await t.admin().groupOffsets("curation", "selected");
      if (done?.offset === high) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const stageSeconds = (performance.now() - t0) / 1000;
    await runner.close();
    const indexBytes = heap() - before;
    const kept = [...stage.index.values()].filter((s) => s.status === "kept").length;
    const total = stage.index.size;
    await stage.close();

    t0 = performance.now();
    const restored = await createStage({}, { transport: t, codec, log: silent, registry: new Registry() });
    const restoreSeconds = (performance.now() - t0) / 1000;
    await restored.close();
    await t.close();

    const data = {
      pairs: total,
      kept,
      stage_pairs_per_s: Math.round(total / stageSeconds),
      decision_pairs_per_s: Math.round(pureRate),
      decision_sample: slice.length,
      index_heap_mb: Number(mb(indexBytes)),
      bytes_per_pair: Math.round(indexBytes / total),
      restore_s: Number(restoreSeconds.toFixed(1)),
      rss_mb: Number(mb(process.memoryUsage().rss)),
    };
    const table = [
      "| pairs | kept | stage pairs/s | decision only pairs/s (first 20k) | stage / decision | index heap | per pair | restore from changelog | process RSS |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      `| ${total} | ${kept} | ${data.stage_pairs_per_s} | ${data.decision_pairs_per_s} | ${(data.stage_pairs_per_s / data.decision_pairs_per_s).toFixed(2)} | ${data.index_heap_mb} MB | ${data.bytes_per_pair} B | ${data.restore_s} s | ${data.rss_mb} MB |`,
    ].join("\n");
    return { table, data };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
