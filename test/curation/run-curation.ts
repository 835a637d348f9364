import { pino } from "pino";
import { Registry } from "prom-client";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { createStage } from "../../services/stages/curation/stage.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";

const silent = pino({ level: "silent" });

export async function openLog(dir: string, fsync = false): Promise<EmbeddedTransport> {
  const t = EmbeddedTransport.open(dir, { fsync });
  await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: s.partitions, compacted: s.compacted })));
  return t;
}

/** Runs the curation stage until it has committed every selected pair in the log; reports the committed offset as it goes. */
export async function runCuration(
  t: EmbeddedTransport,
  opts: { env?: NodeJS.ProcessEnv; registry?: Registry; maxCommitRecords?: number; onCommitted?: (offset: number) => void; delayMs?: number } = {},
): Promise<void> {
  const codec = new JsonCodec();
  const registry = opts.registry ?? new Registry();
  const stage = await createStage(opts.env ?? {}, { transport: t, codec, log: silent, registry });
  // A delay per pair stretches the run so that a kill lands in the middle of it.
  const paced: StageDef = opts.delayMs
    ? { ...(stage as StageDef), process: async (v, ctx) => (await new Promise((r) => setTimeout(r, opts.delayMs)), stage.process(v as never, ctx)) }
    : (stage as StageDef);
  const runner = new StageRunner({
    transport: t,
    codec,
    stage: paced,
    registry,
    log: silent,
    commitIntervalMs: 10,
    maxCommitRecords: opts.maxCommitRecords ?? 1000,
  });
  await runner.start();
  const admin = t.admin();
  for (;;) {
    const [{ high }] = await admin.describeTopic("selected");
    const committed = Number((await admin.groupOffsets("curation", "selected"))[0]?.offset ?? 0);
    opts.onCommitted?.(committed);
    if (committed >= Number(high)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await runner.close();
  await stage.close();
}

// As a process of its own (the SIGKILL test): curate the log in argv[2], printing the committed offset.
if (process.argv[1]?.endsWith("run-curation.ts")) {
  const t = await openLog(process.argv[2], true);
  await runCuration(t, { maxCommitRecords: 20, delayMs: 2, onCommitted: (o) => process.stdout.write(`committed ${o}\n`) });
  await t.close();
}
