import { join, resolve } from "node:path";
import type { Logger } from "pino";
import type { Mode } from "../llm/prompts.ts";
import { collectDefaultMetrics, Registry } from "prom-client";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { JsonCodec } from "../runtime/codec.ts";
import { EmbeddedTransport } from "../runtime/embedded/index.ts";
import { type HealthServer, startHealthServer } from "../runtime/http.ts";
import { formatDowntime } from "../runtime/dependency.ts";
import { describeOutage, type Outage } from "../runtime/outage.ts";
import { StageRunner } from "../runtime/runner.ts";
import { loadStageModule } from "../runtime/stage-loader.ts";
import type { StageDef } from "../runtime/stage.ts";
import type { SelectorStage } from "../stages/selector/stage.ts";
import { loadCurationConfig } from "../stages/curation/config.ts";
import { collectStats } from "../stages/sink/collect-stats.ts";
import type { SinkStage } from "../stages/sink/stage.ts";
import type { DatasetStats } from "../stages/sink/stats.ts";
import { constraintsFor, type GenerationSettings, generationSettingsFromEnv } from "../llm/generation.ts";
import { AFTER_CODE_NOTE, FORMAT_GRAMMAR_NOTE, LLM_MODES } from "../llm/format-grammar.ts";
import { dlqReasons } from "./dlq-reasons.ts";
import { funnelTable } from "./funnel-table.ts";
import { dlqSummary, zeroRowCause } from "./run-summary.ts";
import { ingestSeeds } from "./ingest-seeds.ts";
import { preflight } from "./preflight.ts";
import { startLocalLlm } from "./local-llm.ts";
import type { ProgressView } from "./progress.ts";
import { defaultsFor, type RunOptions } from "./run-options.ts";
import { stableRunId } from "./run-id.ts";
import { LLM_STAGES, PIPELINE_STAGES } from "../../schemas/stages.ts";
import { type StageProgress, stageProgress } from "./stage-progress.ts";

export interface PipelineResult {
  progress: StageProgress[];
  stats: DatasetStats;
  rows: number;
  table: string;
  /** Stopped by a signal before the corpus was drained; rerunning resumes. */
  interrupted: boolean;
  /** Why the run gave up before its input was finished (a dependency down past --max-outage); rerunning resumes. */
  stopped?: string;
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
    ...(o.curationSkip !== undefined ? { SCA_CURATION_SKIP: o.curationSkip } : {}),
    ...(o.sandboxTimeout ? { SCA_SANDBOX_TIMEOUT: o.sandboxTimeout } : {}),
    ...(o.llmBaseUrl ? { LLM_BASE_URL: o.llmBaseUrl } : {}),
    ...(o.llmModel ? { LLM_MODEL: o.llmModel } : {}),
  };
  // The 270M CPU model cannot judge docstrings usefully and would spend minutes per seed.
  const judge = o.judge && !local;
  // What each LLM stage will read from this env: parsed once, for the card and the seed spread.
  const stageSettings = Object.fromEntries(LLM_MODES.map((m) => [m, generationSettingsFromEnv(env, m)])) as Record<Mode, GenerationSettings>;
  // The CPU model's few seeds should be plain functions from many modules, not the first files' internals.
  const spreadSeed = (o.spreadSeeds ?? local) ? stageSettings.concepts.runSeed : undefined;
  const stageNames = ctx.stages ?? PIPELINE_STAGES;
  const needsLlm = stageNames.some((s) => LLM_STAGES.includes(s));
  const localLlm = env.LLM_BASE_URL || !needsLlm ? undefined : await startLocalLlm(log);
  if (localLlm) Object.assign(env, { LLM_BASE_URL: localLlm.baseURL, LLM_MODEL: localLlm.model });
  // Before any seed is taken: a wrong URL or model, or no sandbox, is a setup error to report now.
  await preflight(env, { llm: needsLlm && !localLlm, sandbox: stageNames.includes("verdicts") });

  const transport = EmbeddedTransport.open(join(stateDir, "log"));
  const codec = new JsonCodec();
  const registry = new Registry();
  const runners: StageRunner[] = [];
  const stages: StageDef[] = [];
  let http: HealthServer | undefined;
  try {
    if (o.metricsPort !== undefined) {
      // Every stage's runner and its own metrics (LLM client, sandbox, selection) land in this one registry.
      collectDefaultMetrics({ register: registry });
      http = await startHealthServer({
        port: o.metricsPort,
        registry,
        ready: () => runners.length === stageNames.length && runners.every((r) => r.ready),
        outages: () => runners.flatMap((r) => r.outages),
      });
      log.info({ port: http.port }, "metrics listening");
      ctx.onMetrics?.(`http://127.0.0.1:${http.port}/metrics`);
    }
    await transport
      .admin()
      .createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs, compacted: t.compacted })));
    const constraints = Object.fromEntries(LLM_MODES.map((m) => [m, constraintsFor(m, stageSettings[m])])) as Record<Mode, ReturnType<typeof constraintsFor>>;
    const runConfig = {
      llm: { base_url: localLlm ? "local small model (sca model serve)" : env.LLM_BASE_URL, model: env.LLM_MODEL },
      corpus: o.seeds ? { seeds_file: o.seeds } : { paths: o.corpus.length ? o.corpus : ["python stdlib"] },
      limit,
      samples,
      ...(local ? { local_model_defaults: defaults.env } : {}),
      // What each stage's requests will carry, from the settings the stages read.
      ...(stageSettings.responses.grammar === "gbnf"
        ? { format_grammar: { what: FORMAT_GRAMMAR_NOTE, ...Object.fromEntries(LLM_MODES.map((m) => [m, constraints[m].grammar?.id])) } }
        : {}),
      ...(stageSettings.responses.tests === "after-code"
        ? {
            responses_tests: {
              what: AFTER_CODE_NOTE,
              tests_temperature: String(constraints.responses.tests_temperature),
              tests_per_code: String(constraints.responses.tests_per_code ?? 1),
            },
          }
        : {}),
      fewshot_pool: stageSettings.responses.pool,
      ...taskProperties(stageSettings.instructions),
      sandbox: { backend: o.sandbox, timeout_s: o.sandboxTimeout ?? "default" },
      seed_judge: judge ? "on" : local ? "off (the CPU model)" : "off (--no-judge)",
      ...(spreadSeed !== undefined && !o.seeds
        ? { seeds_spread: `public functions outside test files, one per file, files shuffled by seed ${spreadSeed}` }
        : {}),
      selection_policy: o.policy,
      curation: curationSettings(env),
      run_id: runId,
    };
    for (const name of stageNames) {
      const mod = await loadStageModule(name);
      const stage = await mod.createStage(env, { registry, transport, codec, log, storeDir: join(stateDir, "stores"), runConfig });
      stages.push(stage);
      // Read ahead of a serial stage (the selector) so each commit carries many records, not one.
      const runner = new StageRunner({
        transport,
        codec,
        stage,
        registry,
        log,
        commitIntervalMs: 100,
        maxBuffered: Math.max(1024, 2 * (stage.concurrency ?? 16)),
      });
      await runner.start();
      runners.push(runner);
    }
    const selectorAt = stages.findIndex((s) => s.name === "selector");
    const selector = selectorAt < 0 ? undefined : (stages[selectorAt] as SelectorStage);
    const sink = stages.find((s) => s.name === "sink") as SinkStage | undefined;

    let ingestDone = ctx.ingest === false;
    let ingestError: unknown;
    const ingesting = (
      ctx.ingest === false
        ? Promise.resolve(0)
        : ingestSeeds({ transport, codec, seedsFile: o.seeds, corpus: o.corpus, limit, stateDir, typecheck: o.typecheck, spreadSeed, judge, runId, env, log })
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
    let stopped: string | undefined;
    let noticedAt = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, ctx.pollMs ?? 500));
      if (ingestError) throw ingestError;
      const rows = await stageProgress(admin, watched);
      ctx.view.update(rows);
      if (ctx.signal.aborted) {
        interrupted = true;
        break;
      }
      const outages = oldestPerTarget(runners.flatMap((r) => r.outages));
      if (outages.length > 0 && Date.now() - noticedAt >= 10_000) {
        noticedAt = Date.now();
        for (const out of outages) ctx.view.notice?.(describeOutage(out));
      }
      const tooLong = outages.find((out) => Date.now() - out.since >= o.maxOutage);
      if (tooLong) {
        stopped = `${tooLong.target} has been down for ${formatDowntime(Date.now() - tooLong.since)}, longer than --max-outage ${formatDowntime(o.maxOutage)} (last error: ${tooLong.lastError})`;
        log.error({ dependency: tooLong.dependency, target: tooLong.target }, stopped);
        break;
      }
      if (outages.length === 0) noticedAt = 0;
      const idle = ingestDone && rows.every((r) => r.lag === 0) && runners.every((r) => r.inFlight === 0);
      quiet = idle ? quiet + 1 : 0;
      if (quiet < 2) continue;
      // Rounds still open now will never hear from their missing samples (lost to a DLQ).
      if (selector && selector.openRounds() > 0) {
        selector.expireAll();
        await runners[selectorAt].punctuate();
        quiet = 0;
        continue;
      }
      break;
    }
    // An interrupted ingest is abandoned: the next run skips the seeds already in the log.
    if (!interrupted && !stopped) await ingesting;
    await Promise.all(runners.map((r) => r.close()));
    for (const s of stages) await s.close?.();
    stages.length = 0;
    const progress = await stageProgress(admin, watched);
    ctx.view.update(progress);
    ctx.view.stop();
    const stats = await collectStats(transport, codec);
    const rows = sink?.dir.rows.length ?? 0;
    const dlq = await dlqReasons(transport, codec, watched);
    const settings = { local, maxTokens: Object.fromEntries(LLM_STAGES.map((m) => [m, stageSettings[m as Mode].maxTokens])) };
    return {
      progress,
      stats,
      rows,
      table: funnelTable(progress, stats, rows),
      interrupted,
      dlqLines: dlqSummary(dlq, settings),
      zeroRowCause: zeroRowCause(progress, stats, rows, dlq, settings),
      ...(stopped ? { stopped } : {}),
    };
  } finally {
    ctx.view.stop();
    await Promise.all(runners.map((r) => r.close().catch(() => {})));
    for (const s of stages) await s.close?.().catch(() => {});
    await transport.close();
    await localLlm?.close();
    await http?.close();
  }
}

/** Several stages wait for one server: one line per dependency, dated from the first stage that saw it go. */
function oldestPerTarget(outages: Outage[]): Outage[] {
  const byTarget = new Map<string, Outage>();
  for (const out of outages) {
    const seen = byTarget.get(out.target);
    if (!seen || out.since < seen.since) byTarget.set(out.target, out);
  }
  return [...byTarget.values()];
}

/** The curation settings as the card shows them (a bad value fails here, before any stage starts). */
function curationSettings(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const c = loadCurationConfig(env);
  return {
    skip: [...c.skip],
    max_instruction_words: c.maxInstructionWords,
    minhash: { threshold: c.threshold, ngram: c.ngram, num_perm: c.numPerm, min_tokens: c.minTokens },
    keeps: "smallest instruction id among duplicates",
  };
}

/** The card names a narrowed draw of task properties; the reference's full draw needs no mention. */
function taskProperties(s: GenerationSettings): { task_properties?: { categories: string; difficulties: string } } {
  if (s.categories.length === 0 && s.difficulties.length === 0) return {};
  return { task_properties: { categories: s.categories.join(", ") || "all", difficulties: s.difficulties.join(", ") || "all" } };
}
