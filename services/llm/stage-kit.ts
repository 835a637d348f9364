import type { Registry } from "prom-client";
import { type Dependency, DependencyUnavailableError } from "../runtime/dependency.ts";
import { PoisonError } from "../runtime/errors.ts";
import { type CompletionChoice, type CompletionRequest, type CompletionResult, sharedLlmClient } from "./client.ts";
import { llmConfigFromEnv } from "./config.ts";
import { LlmError } from "./errors.ts";
import { FewShotPool, POOLS } from "./fewshot/pool.ts";
import { type Generation, generationSettingsFromEnv } from "./generation.ts";
import { llmMetrics, type LlmMetrics } from "./metrics.ts";
import type { Parsed } from "./parsers.ts";
import { type Mode, promptHash } from "./prompts.ts";

/** Anything that completes prompts: the real client, or a test double that still speaks HTTP. */
export interface Completer {
  complete(req: CompletionRequest, opts: { stage: string; signal?: AbortSignal }): Promise<CompletionResult>;
  /** The server, probed by the runner when calls fail as an outage would. */
  readonly dependency?: Dependency;
}

/** What the three LLM stages share: settings from env, the client, and the error mapping to the runner's terms. */
export class LlmStageKit {
  readonly gen: Generation;
  readonly metrics: LlmMetrics;
  /** records in flight per consumer: enough to let the adaptive limit fill the server. */
  readonly concurrency: number;

  constructor(
    readonly mode: Mode,
    readonly llm: Completer,
    gen: Omit<Generation, "mode">,
    metrics: LlmMetrics,
    concurrency: number,
  ) {
    this.gen = { ...gen, mode };
    this.metrics = metrics;
    this.concurrency = concurrency;
  }

  static fromEnv(env: NodeJS.ProcessEnv, mode: Mode, registry?: Registry): LlmStageKit {
    const config = llmConfigFromEnv(env);
    const settings = generationSettingsFromEnv(env, mode);
    const pool = new FewShotPool(POOLS[settings.pool]);
    return new LlmStageKit(
      mode,
      sharedLlmClient(config, registry),
      { settings, model: config.model, promptHash: promptHash(mode, pool), pool },
      llmMetrics(registry),
      Math.min(config.maxConcurrency, 256),
    );
  }

  /** What the stage declares to the runner. */
  get dependencies(): Dependency[] {
    return this.llm.dependency ? [this.llm.dependency] : [];
  }

  /**
   * A server that is away (refused, timed out, 5xx, 429) is an outage: the runner probes it and holds
   * the record. A request the server rejects as malformed never succeeds: the DLQ. Anything else is
   * a transient failure of this record.
   */
  async complete(req: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    try {
      return await this.llm.complete(req, { stage: this.mode, signal });
    } catch (e) {
      if (e instanceof LlmError && e.kind === "bad_request") throw new PoisonError(`${this.mode}: ${e.message}`, "poison", { status: e.status });
      if (e instanceof LlmError && e.unavailable && this.llm.dependency)
        throw new DependencyUnavailableError(this.llm.dependency, `${this.mode}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** Counts a dropped completion: a truncated one (not ended at a stop sequence) apart from one that did not parse. */
  countParseFailure(failure: Extract<Parsed<unknown>, { ok: false }>, _choice: CompletionChoice): string {
    if (failure.reason === "truncated") this.metrics.truncated.inc({ stage: this.mode });
    else this.metrics.parseFailures.inc({ stage: this.mode, reason: failure.reason });
    return failure.reason;
  }

  /** Counts the failure and builds the error the runner sends to the DLQ with the raw completion. */
  unparsable(failure: Extract<Parsed<unknown>, { ok: false }>, choice: CompletionChoice): PoisonError {
    const reason = this.countParseFailure(failure, choice);
    const truncated = reason === "truncated";
    return new PoisonError(
      `${this.mode}: ${truncated ? "truncated" : `unparsable (${reason})`} completion: ${failure.message}`,
      truncated ? "truncated_output" : "unparsable_output",
      { reason, raw: choice.text, finish_reason: choice.finish_reason },
    );
  }
}
