// `npm run bench -- dataset [--instructions N] [--samples N]`: the selector and the sink on the
// embedded log, through the real stage runner, as `sca run` runs them. N instructions × n verdicts
// (about half passing) in; rows out. Reports verdicts/s through the selector, records/s through the
// sink, and the cost of restoring the selector's state from its changelog.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { z } from "zod";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import type { Transport } from "../../services/runtime/transport.ts";
import { createStage as createSelector } from "../../services/stages/selector/stage.ts";
import { CURATION_RULES } from "../../schemas/records.ts";
import { createStage as createCuration } from "../../services/stages/curation/stage.ts";
import { createStage as createSink } from "../../services/stages/sink/stage.ts";
import { verdict } from "../selector/fixtures.ts";

const Args = z.object({
  instructions: z.coerce.number().int().positive().default(1_000),
  samples: z.coerce.number().int().positive().default(10),
});

const silent = pino({ level: "silent" });
const codec = new JsonCodec();

async function drained(t: Transport, group: string, topic: string): Promise<void> {
  for (;;) {
    const highs = await t.admin().describeTopic(topic);
    const committed = await t.admin().groupOffsets(group, topic);
    if (highs.every((h) => h.high === "0" || committed.find((c) => c.partition === h.partition)?.offset === h.high)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function timed(t: Transport, stage: StageDef, group: string): Promise<number> {
  const runner = new StageRunner({ transport: t, codec, stage, registry: new Registry(), log: silent, commitIntervalMs: 100, maxBuffered: 1024 });
  const t0 = performance.now();
  await runner.start();
  await drained(t, group, stage.input);
  const ms = performance.now() - t0;
  await runner.close();
  return ms;
}

export async function run(argv: string[]): Promise<{ table: string; data: unknown }> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) raw[argv[i].replace(/^--/, "")] = argv[i + 1];
  const a = Args.parse(raw);
  const dir = mkdtempSync(join(tmpdir(), "sca-bench-dataset-"));
  try {
    const t = EmbeddedTransport.open(join(dir, "log"));
    await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: s.partitions })));
    const p = await t.producer();
    const n = a.instructions * a.samples;
    for (let i = 0; i < a.instructions; i++) {
      const vs = Array.from({ length: a.samples }, (_, j) => verdict(`bench${i}`, j, a.samples, (i * 7 + j) % 2 === 0 ? "pass" : "fail"));
      await p.send(await Promise.all(vs.map(async (v) => ({ topic: "verdicts", key: v.instruction_id, value: await codec.encode("verdicts", v) }))));
    }
    const env = { SCA_OUT_DIR: join(dir, "out"), SCA_SINK_FLUSH_MS: "500" };
    const selector = await createSelector(env, { transport: t, codec, log: silent, isContaminated: () => false });
    const selectorMs = await timed(t, selector, "selector");
    await selector.close();
    const r0 = performance.now();
    const restored = await createSelector(env, { transport: t, codec, log: silent, isContaminated: () => false });
    const restoreMs = performance.now() - r0;
    await restored.close();
    // The fixture pairs are not real responses (no code fences): curation runs with every rule off,
    // as a pass-through; its own cost is `npm run bench -- curation`.
    const curation = await createCuration({ SCA_CURATION_SKIP: CURATION_RULES.join(",") }, { transport: t, codec, log: silent });
    const selectedRecords = (await t.admin().describeTopic("selected")).reduce((s, x) => s + Number(x.high), 0);
    const curationMs = await timed(t, curation, "curation");
    await curation.close();
    const sink = await createSink(env, { log: silent });
    const datasetRecords = (await t.admin().describeTopic("dataset")).reduce((s, x) => s + Number(x.high), 0);
    const sinkMs = await timed(t, sink, "sink");
    const rows = sink.dir.rows.length;
    await sink.close();
    await t.close();
    const data = {
      ...a,
      verdicts: n,
      datasetRecords,
      rows,
      selectorMs,
      selectorPerSec: (n * 1000) / selectorMs,
      restoreMs,
      curationMs,
      sinkMs,
      sinkPerSec: (datasetRecords * 1000) / sinkMs,
    };
    const table = [
      `${a.instructions} instructions × ${a.samples} verdicts on the embedded log (fsync on), through the stage runner; machine load shared with other work.`,
      "",
      "| step | records | seconds | records/s |",
      "|---|---:|---:|---:|",
      `| selector (verdicts → selector.state + selected) | ${n} | ${(selectorMs / 1000).toFixed(1)} | ${data.selectorPerSec.toFixed(0)} |`,
      `| selector restart: restore ${a.instructions} states from the changelog | ${n} changelog records | ${(restoreMs / 1000).toFixed(2)} | ${((n * 1000) / restoreMs).toFixed(0)} |`,
      `| curation, every rule off (selected → curation.state + dataset) | ${selectedRecords} | ${(curationMs / 1000).toFixed(1)} | ${((selectedRecords * 1000) / curationMs).toFixed(0)} |`,
      `| sink (dataset → train.jsonl + parquet shards) | ${datasetRecords} | ${(sinkMs / 1000).toFixed(1)} | ${data.sinkPerSec.toFixed(0)} |`,
      "",
      `${rows} rows exported.`,
    ].join("\n");
    return { table, data };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
