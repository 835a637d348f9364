import { join, resolve } from "node:path";
import type { Logger } from "pino";
import type { Mode } from "../llm/prompts.ts";
import { collectDefaultMetrics, Registry } from "prom-client";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { JsonCodec } from "../runtime/codec.ts";
import { EmbeddedTransport } from "../runtime/embedded/index.ts";
import { type HealthServer, startHealthServer } from "../runtime/http.ts";
import { StageRunner } from "../runtime/runner.ts";
import { loadStageModule } from "../runtime/stage-loader.ts";
import type { StageDef } from "../runtime/stage.ts";
import type { SelectorStage } from "../selector/stage.ts";
import { collectStats } from "../sink/collect-stats.ts";
import type { SinkStage } from "../sink/stage.ts";
import type { DatasetStats } from "../sink/stats.ts";
import { maxTokensVar } from "../llm/generation.ts";
import { dlqReasons } from "./dlq-reasons.ts";
import { funnelTable } from "./funnel-table.ts";
import { dlqSummary, zeroRowCause } from "./run-summary.ts";
import { ingestSeeds } from "./ingest-seeds.ts";
import { startLocalLlm } from "./local-llm.ts";
import type { ProgressView } from "./progress.ts";
import { defaultsFor, type RunOptions } from "./run-options.ts";
import { stableRunId } from "./run-id.ts";
import { LLM_STAGES, PIPELINE_STAGES } from "./stage-order.ts";
import { type StageProgress, stageProgress } from "./stage-progress.ts";


export interface PipelineResult {
  progress: StageProgress[];
  stats: DatasetStats;
  rows: number;
  table: string;
  /** Stopped by a signal before the corpus was drained; rerunning resumes. */
  interrupted: boolean;
  /** The top DLQ reasons per stage, in words with the fix. */
  dlqLines: string[];
  /** With no row: the most likely cause and the next step. */
  zeroRowCause?: string;
}

export interface PipelineContext {
  env: NodeJS.ProcessEnv;
  /** The stages to run (default all); a replay runs the replayed stage and those after it. */
  stages?: readonly string[];
  /** Mine/publish seeds first (sca run); a replay does not. */
  ingest?: boolean;
  log: Logger;
  view: ProgressView;
  /** Aborting stops the run gracefully (Ctrl-C). */
  signal: AbortSignal;
  pollMs?: number;
  /** Told the /metrics URL once it listens (with --metrics-port). */
  onMetrics?: (url: string) => void;
}

type Closable = StageDef & { close?: () => Promise<void> };

/**
 * `sca run`: ingest and every stage in one process over the embedded log in `--state`. Finishes by
 * itself once the seeds are in, every stage has committed everything it was given and nothing is in
 * flight; then it decides the selector's rounds still waiting for samples, lets the sink write them,
 * and stops. Killed at any point, the same command resumes from the log.
 */
export async function runPipeline(o: RunOptions, ctx: PipelineContext): Promise<PipelineResult> {
  const { log } = ctx;
  const stateDir = resolve(o.state);
  const runId = stableRunId(stateDir);
  const local = !(o.llmBaseUrl || ctx.env.LLM_BASE_URL);
  const given: NodeJS.ProcessEnv = { ...ctx.env, ...(o.maxTokens ? { LLM_MAX_TOKENS: String(o.maxTokens) } : {}) };
  const defaults = defaultsFor(local, given);
  const limit = o.limit ?? defaults.limit;
  const samples = o.samples ?? defaults.samples;
  const env: NodeJS.ProcessEnv = {
    ...given,
    ...defaults.env,
    SCA_RUN_ID: runId,
    SCA_RESPONSES_SAMPLES: String(samples),
    SCA_OUT_DIR: resolve(o.out),
    SCA_SELECTION_POLICY: o.policy,
    SCA_STRAGGLER_TIMEOUT_MS: String(o.stragglerTimeoutMs),
    SCA_SANDBOX_BACKEND: o.sandbox,
    ...(o.sandboxTimeout ? { SCA_SANDBOX_TIMEOUT: o.sandboxTimeout } : {}),
    ...(o.llmBaseUrl ? { LLM_BASE_URL: o.llmBaseUrl } : {}),
    ...(o.llmModel ? { LLM_MODEL: o.llmModel } : {}),
  };
  const stageNames = ctx.stages ?? PIPELINE_STAGES;
  const needsLlm = stageNames.some((s) => LLM_STAGES.includes(s));
  const localLlm = env.LLM_BASE_URL || !needsLlm ? undefined : await startLocalLlm(log);
  if (localLlm) Object.assign(env, { LLM_BASE_URL: localLlm.baseURL, LLM_MODEL: localLlm.model });

  const transport = EmbeddedTransport.open(join(stateDir, "log"));
  const codec = new JsonCodec();
  const registry = new Registry();
  const runners: StageRunner[] = [];
  const stages: Closable[] = [];
  let http: HealthServer | undefined;
  try {
    if (o.metricsPort !== undefined) {
      // Every stage's runner and its own metrics (LLM client, sandbox, selection) land in this one registry.
      collectDefaultMetrics({ register: registry });
      http = await startHealthServer({ port: o.metricsPort, registry, ready: () => runners.length === stageNames.length && runners.every((r) => r.ready) });
      log.info({ port: http.port }, "metrics listening");
      ctx.onMetrics?.(`http://127.0.0.1:${http.port}/metrics`);
    }
    await transport.admin().createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs, compacted: t.compacted })));
    const runConfig = {
      llm: { base_url: localLlm ? "local small model (sca model serve)" : env.LLM_BASE_URL, model: env.LLM_MODEL },
      corpus: o.seeds ? { seeds_file: o.seeds } : { paths: o.corpus.length ? o.corpus : ["python stdlib"] },
      limit,
      samples,
      ...(local ? { local_model_defaults: defaults.env } : {}),
      sandbox: { backend: o.sandbox, timeout_s: o.sandboxTimeout ?? "default" },
      selection_policy: o.policy,
      run_id: runId,
    };
    for (const name of stageNames) {
      const mod = await loadStageModule(name);
      const stage = (await (mod.createStage as (e: NodeJS.ProcessEnv, d: unknown) => Promise<StageDef>)(env, { registry, transport, codec, log, runConfig })) as Closable;
      stages.push(stage);
      // Read ahead of a serial stage (the selector) so each commit carries many records, not one.
      const runner = new StageRunner({ transport, codec, stage, registry, log, commitIntervalMs: 100, maxBuffered: Math.max(1024, 2 * (stage.concurrency ?? 16)) });
      await runner.start();
      runners.push(runner);
    }
    const selector = stages.find((s) => s.name === "selector") as SelectorStage | undefined;
    const sink = stages.find((s) => s.name === "sink") as SinkStage | undefined;

    let ingestDone = ctx.ingest === false;
    let ingestError: unknown;
    const ingesting = (ctx.ingest === false ? Promise.resolve(0) : ingestSeeds({ transport, codec, seedsFile: o.seeds, corpus: o.corpus, limit, stateDir, typecheck: o.typecheck, runId, env, log })
    )
      .then((n) => {
        if (ctx.ingest !== false) log.info({ seeds: n }, "seeds in the log");
        ingestDone = true;
      })
      .catch((e: unknown) => {
        ingestError = e;
      });

    const admin = transport.admin();
    const watched = stages.map((s) => ({ stage: s.name, input: s.input }));
    let quiet = 0;
    let interrupted = false;
    for (;;) {
      await new Promise((r) => setTimeout(r, ctx.pollMs ?? 500));
      if (ingestError) throw ingestError;
      const rows = await stageProgress(admin, watched);
      ctx.view.update(rows);
      if (ctx.signal.aborted) {
        interrupted = true;
        break;
      }
      const idle = ingestDone && rows.every((r) => r.lag === 0) && runners.every((r) => r.inFlight === 0);
      quiet = idle ? quiet + 1 : 0;
      if (quiet < 2) continue;
      // Rounds still open now will never hear from their missing samples (lost to a DLQ).
      if (selector && selector.openRounds() > 0) {
        await selector.expire(true);
        quiet = 0;
        continue;
      }
      break;
    }
    // An interrupted ingest is abandoned: the next run skips the seeds already in the log.
    if (!interrupted) await ingesting;
    await Promise.all(runners.map((r) => r.close()));
    for (const s of stages) await s.close?.();
    stages.length = 0;
    const progress = await stageProgress(admin, watched);
    ctx.view.update(progress);
    ctx.view.stop();
    const stats = await collectStats(transport, codec);
    const rows = sink?.dir.rows.length ?? 0;
    const dlq = await dlqReasons(transport, codec, watched);
    const settings = { local, maxTokens: Object.fromEntries(LLM_STAGES.map((m) => [m, Number(maxTokensVar(env, m as Mode)[1])])) };
    return { progress, stats, rows, table: funnelTable(progress, stats, rows), interrupted, dlqLines: dlqSummary(dlq, settings), zeroRowCause: zeroRowCause(progress, stats, rows, dlq, settings) };
  } finally {
    ctx.view.stop();
    await Promise.all(runners.map((r) => r.close().catch(() => {})));
    for (const s of stages) await s.close?.().catch(() => {});
    await transport.close();
    await localLlm?.close();
    await http?.close();
  }
}
