import { resolve } from "node:path";
import { pino, type Logger } from "pino";
import { z } from "zod";
import type { DatasetSample } from "../../../schemas/records.ts";
import { stageIo } from "../../../schemas/stages.ts";
import type { Codec } from "../../runtime/codec.ts";
import { describeZodError } from "../../shared/zod-error.ts";
import type { PipelineStage } from "../../runtime/stage.ts";
import type { Transport } from "../../runtime/transport.ts";
import { collectStats } from "./collect-stats.ts";
import { ExportDir } from "./export-dir.ts";
import { materialize } from "./materialize.ts";

export const SinkConfig = z.object({
  outDir: z.string().min(1).default("out"),
  flushMs: z.coerce.number().int().positive().default(2_000),
  cardMs: z.coerce.number().int().positive().default(30_000),
});
export type SinkConfig = z.output<typeof SinkConfig>;
export const SINK_ENV_VARS: Record<keyof SinkConfig, string> = { outDir: "SCA_OUT_DIR", flushMs: "SCA_SINK_FLUSH_MS", cardMs: "SCA_CARD_REFRESH_MS" };

export function loadSinkConfig(env: NodeJS.ProcessEnv): SinkConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(SINK_ENV_VARS)) if (env[variable]) raw[field] = env[variable];
  const r = SinkConfig.safeParse(raw);
  if (r.success) return r.data;
  const field = String(r.error.issues[0].path[0]) as keyof SinkConfig;
  throw new Error(`invalid sink configuration: ${SINK_ENV_VARS[field]}: ${describeZodError(r.error, raw)}`);
}

export interface SinkDeps {
  /** Where the card's funnel and pass rates are read from (the host's transport); without it the card has counts only. */
  transport?: Transport;
  codec?: Codec;
  /** The run's settings, shown in the dataset card. */
  runConfig?: Record<string, unknown>;
  log?: Logger;
}

export interface SinkStage extends PipelineStage<"sink"> {
  readonly dir: ExportDir;
  /** Rewrites the dataset card now. */
  refreshCard(): Promise<void>;
  close(): Promise<void>;
}

interface Waiter {
  record: DatasetSample;
  resolve: (e: never[]) => void;
  reject: (e: unknown) => void;
}

/**
 * `sca service sink`: the `dataset` topic into an export directory. Records are batched: each
 * process() call waits for the next flush (every SCA_SINK_FLUSH_MS), so the runner commits a
 * record's offset only once its row is on disk. A crash after the write and before the commit
 * redelivers records whose rows exist already; the export directory recognises them by
 * instruction and row id, so no row is written twice.
 */
export async function createStage(env: NodeJS.ProcessEnv, deps: SinkDeps = {}): Promise<SinkStage> {
  const config = loadSinkConfig(env);
  const log = (deps.log ?? pino({ name: "sca" })).child({ stage: "sink" });
  const dir = ExportDir.open(resolve(config.outDir));
  const source = deps.transport && deps.codec ? { transport: deps.transport, codec: deps.codec } : undefined;
  let batch: Waiter[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let cardDirty = true;

  const flush = (): Promise<void> => {
    flushTimer = undefined;
    const taken = batch;
    batch = [];
    flushing = flushing.then(() => {
      if (taken.length === 0) return;
      try {
        const r = dir.sync(
          materialize(
            dir.rows.slice(),
            taken.map((w) => w.record),
          ),
        );
        if (r.appended > 0 || r.rewritten) {
          cardDirty = true;
          log.info({ rows: dir.rows.length, appended: r.appended, rewritten: r.rewritten }, "export updated");
        }
        for (const w of taken) w.resolve([]);
      } catch (e) {
        for (const w of taken) w.reject(e);
      }
    });
    return flushing;
  };

  const refreshCard = async (): Promise<void> => {
    const stats = source ? await collectStats(source.transport, source.codec) : undefined;
    dir.writeCard({ stats, config: { out_dir: config.outDir, ...deps.runConfig }, generatedAt: new Date() });
    cardDirty = false;
  };
  const cardTimer = setInterval(() => {
    if (cardDirty) refreshCard().catch((e) => log.warn({ err: (e as Error).message }, "dataset card refresh failed"));
  }, config.cardMs);
  cardTimer.unref();
  await refreshCard();

  return {
    ...stageIo("sink"),
    concurrency: 1024,
    dir,
    process(record) {
      return new Promise((resolve, reject) => {
        batch.push({ record, resolve, reject });
        flushTimer ??= setTimeout(() => void flush(), config.flushMs);
      });
    },
    refreshCard,
    async close() {
      clearTimeout(flushTimer);
      clearInterval(cardTimer);
      await flush();
      await refreshCard();
    },
  };
}
