import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI, { APIError } from "openai";
import { register as globalRegistry, type Registry } from "prom-client";
import { Agent, fetch as undiciFetch } from "undici";
import { z } from "zod";
import { stableJson } from "../../schemas/common.ts";
import { backoffDelay } from "../shared/backoff.ts";
import type { Dependency } from "../runtime/dependency.ts";
import { describeZodError } from "../shared/zod-error.ts";
import { AdaptiveLimit } from "./adaptive-limit.ts";
import type { LlmConfig } from "./config.ts";
import { classify, LlmError } from "./errors.ts";
import { llmMetrics, type LlmMetrics } from "./metrics.ts";
import { parseRetryAfter } from "./retry-after.ts";

export interface CompletionRequest {
  prompt: string;
  n: number;
  max_tokens: number;
  temperature: number;
  stop?: string[];
  seed?: number;
  top_p?: number;
  /** Sent as vLLM's `guided_grammar`; the id goes into lineage. */
  grammar?: { id: string; gbnf: string };
  repetition_penalty?: number;
  /** Responses with after-code tests: the temperature of each sample's tests request. Lineage only, never sent. */
  tests_temperature?: number;
  /** ... and how many tests requests' choices each code sample gets (`n` of its tests request). Lineage only, never sent. */
  tests_per_code?: number;
}

/**
 * The sampling fields both endpoints take, with vLLM's extensions (grammar, repetition penalty)
 * only when the request uses them, so a plain OpenAI-compatible server never sees them.
 */
function samplingFields(model: string, req: CompletionRequest) {
  return {
    model,
    n: req.n,
    max_tokens: req.max_tokens,
    temperature: req.temperature,
    stop: req.stop,
    seed: req.seed,
    top_p: req.top_p,
    ...(req.grammar ? { guided_grammar: req.grammar.gbnf } : {}),
    ...(req.repetition_penalty !== undefined ? { repetition_penalty: req.repetition_penalty } : {}),
  };
}

export interface CompletionChoice {
  text: string;
  finish_reason: string | null;
}

export interface CompletionResult {
  /** in request order: choice i is sample i. */
  choices: CompletionChoice[];
  promptTokens: number;
  completionTokens: number;
}

const Usage = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish();
const CompletionBody = z.object({
  choices: z.array(z.object({ index: z.number().int(), text: z.string(), finish_reason: z.string().nullable() })).min(1),
  usage: Usage,
});
const ModelList = z.object({ data: z.array(z.object({ id: z.string() })) });
const ChatBody = z.object({
  choices: z.array(z.object({ index: z.number().int(), message: z.object({ content: z.string().nullable() }), finish_reason: z.string().nullable() })).min(1),
  usage: Usage,
});

export interface LlmClientOptions {
  registry?: Registry;
  /** share one limit between clients that talk to the same server */
  limit?: AdaptiveLimit;
  random?: () => number;
}

/**
 * Completions against an OpenAI-compatible server (vLLM, TGI, SGLang, llama.cpp, Ollama) with the
 * SDK's own retries and timeouts switched off: ours add jitter, feed the adaptive concurrency limit
 * and count every attempt.
 */
export class LlmClient {
  readonly limit: AdaptiveLimit;
  private readonly sdk: OpenAI;
  private readonly metrics: LlmMetrics;
  private readonly random: () => number;

  constructor(
    readonly config: LlmConfig,
    opts: LlmClientOptions = {},
  ) {
    this.metrics = llmMetrics(opts.registry);
    this.dependency = {
      name: "llm",
      target: `the LLM server at ${config.baseURL}`,
      probe: async (signal) => {
        await this.servedModels(signal);
      },
    };
    this.random = opts.random ?? Math.random;
    this.limit =
      opts.limit ??
      new AdaptiveLimit({
        initial: config.initialConcurrency,
        min: config.minConcurrency,
        max: config.maxConcurrency,
        onChange: ({ limit, inFlight }) => {
          this.metrics.concurrencyLimit.set(limit);
          this.metrics.inFlight.set(inFlight);
        },
      });
    this.metrics.concurrencyLimit.set(this.limit.limit);
    // Node's fetch gives up on headers after 300 s; a long generation behind a queue needs longer,
    // and our own deadline is the one that should fire.
    const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, connections: null });
    this.sdk = new OpenAI({
      baseURL: config.baseURL,
      apiKey: config.apiKey,
      maxRetries: 0,
      timeout: 2 ** 31 - 1,
      fetch: ((url: string, init: object) => undiciFetch(url, { ...init, dispatcher } as never)) as unknown as typeof fetch,
    });
  }

  /** The server as a dependency of the stages that call it: probed with GET /models. */
  readonly dependency: Dependency;

  /** The model ids the server serves (GET /models); throws saying what went wrong when it does not answer. */
  async servedModels(signal?: AbortSignal): Promise<string[]> {
    const url = `${this.config.baseURL.replace(/\/+$/, "")}/models`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${this.config.apiKey}` }, signal });
    } catch (e) {
      throw new LlmError("connection", `cannot reach the LLM server at ${this.config.baseURL}: ${causeText(e)}`);
    }
    const text = await res.text();
    if (!res.ok)
      throw new LlmError(
        res.status >= 500 || res.status === 429 ? "server_error" : "other",
        `GET ${url} answered ${res.status}: ${text.slice(0, 200)}`,
        res.status,
      );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new LlmError("invalid_response", `GET ${url} did not answer JSON: ${text.slice(0, 200)}`);
    }
    const parsed = ModelList.safeParse(body);
    if (!parsed.success) throw new LlmError("invalid_response", `GET ${url} did not answer a model list: ${describeZodError(parsed.error, body)}`);
    return parsed.data.data.map((m) => m.id);
  }

  /** One request for `n` samples; retries transient failures up to `maxAttempts` attempts in all. */
  async complete(req: CompletionRequest, opts: { stage: string; signal?: AbortSignal }): Promise<CompletionResult> {
    const { stage, signal } = opts;
    // Every request of a partition shares the runner's signal: hundreds of listeners are expected.
    if (signal) setMaxListeners(0, signal);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.attempt(req, stage, signal);
        this.metrics.requests.inc({ stage, outcome: "ok" });
        return result;
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        const err = classify(e, false);
        this.metrics.errors.inc({ stage, kind: err.kind });
        if (!err.retryable || attempt >= this.config.maxAttempts) {
          this.metrics.requests.inc({ stage, outcome: "error" });
          throw new LlmError(err.kind, `${err.message} (after ${attempt} attempt${attempt > 1 ? "s" : ""})`, err.status);
        }
        this.metrics.retries.inc({ stage });
        const retryAfterMs = e instanceof APIError ? parseRetryAfter(e.headers?.get("retry-after")) : undefined;
        const delay = backoffDelay(attempt, { baseMs: this.config.retryBaseMs, maxMs: this.config.retryMaxMs }, this.random);
        // A server's Retry-After is a floor: it knows when it will have room again.
        await sleep(Math.max(retryAfterMs ?? 0, delay), undefined, { signal });
      }
    }
  }

  private async attempt(req: CompletionRequest, stage: string, signal?: AbortSignal): Promise<CompletionResult> {
    const ticket = await this.limit.acquire(signal, req.n);
    const deadline = AbortSignal.timeout(this.config.timeoutMs);
    const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const started = performance.now();
    const stopTimer = this.metrics.duration.startTimer({ stage });
    let result: CompletionResult | undefined;
    let failure: LlmError | undefined;
    try {
      result = this.config.api === "chat" ? await this.chat(req, both) : await this.text(req, both);
      return result;
    } catch (e) {
      failure = classify(e, deadline.aborted && !signal?.aborted);
      throw failure;
    } finally {
      stopTimer();
      if (result) {
        const elapsed = performance.now() - started;
        // Sequences of one request decode in parallel: time per decode step is elapsed / tokens per sequence.
        const perSequence = Math.max(1, result.completionTokens / Math.max(1, result.choices.length));
        this.limit.release(ticket, { kind: "ok", msPerToken: elapsed / perSequence });
        this.account(stage, result);
      } else {
        this.limit.release(ticket, { kind: failure?.overload && !signal?.aborted ? "overload" : "ignore" });
      }
    }
  }

  private account(stage: string, r: CompletionResult): void {
    this.metrics.promptTokens.inc({ stage }, r.promptTokens);
    this.metrics.completionTokens.inc({ stage }, r.completionTokens);
    for (const c of r.choices) this.metrics.finishReasons.inc({ stage, reason: finishLabel(c.finish_reason) });
  }

  private async text(req: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> {
    const body = await this.sdk.completions.create({ ...samplingFields(this.config.model, req), prompt: req.prompt }, { signal });
    const parsed = parseBody(CompletionBody, body);
    return toResult(
      parsed.choices.map((c) => ({ index: c.index, text: c.text, finish_reason: c.finish_reason })),
      parsed.usage,
      req.n,
    );
  }

  private async chat(req: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> {
    const body = await this.sdk.chat.completions.create(
      { ...samplingFields(this.config.model, req), messages: [{ role: "user", content: req.prompt }] },
      { signal },
    );
    const parsed = parseBody(ChatBody, body);
    return toResult(
      parsed.choices.map((c) => ({ index: c.index, text: c.message.content ?? "", finish_reason: c.finish_reason })),
      parsed.usage,
      req.n,
    );
  }
}

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new LlmError("invalid_response", `LLM server sent an unexpected body: ${describeZodError(r.error, body)}`);
  return r.data;
}

function toResult(choices: Array<CompletionChoice & { index: number }>, usage: z.infer<typeof Usage>, n: number): CompletionResult {
  if (choices.length !== n) throw new LlmError("invalid_response", `LLM server returned ${choices.length} choices for n=${n}`);
  const ordered = [...choices].sort((a, b) => a.index - b.index).map(({ text, finish_reason }) => ({ text, finish_reason }));
  // Servers that omit usage still need token counts for metrics and the limiter: ~4 chars a token.
  const completionTokens = usage?.completion_tokens ?? Math.ceil(ordered.reduce((s, c) => s + c.text.length, 0) / 4);
  return { choices: ordered, promptTokens: usage?.prompt_tokens ?? 0, completionTokens };
}

function causeText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const c = (e as { cause?: unknown }).cause;
  return c instanceof Error ? `${e.message} (${(c as { code?: string }).code ?? c.message})` : e.message;
}

const FINISH = new Set(["stop", "length", "content_filter"]);
function finishLabel(r: string | null): string {
  return r && FINISH.has(r) ? r : "other";
}

const shared = new WeakMap<Registry, Map<string, LlmClient>>();

/** One client (hence one adaptive limit) per server and model in a process, whatever the stage count. */
export function sharedLlmClient(config: LlmConfig, registry: Registry = globalRegistry): LlmClient {
  let byConfig = shared.get(registry);
  if (!byConfig) shared.set(registry, (byConfig = new Map()));
  const key = stableJson(config);
  let c = byConfig.get(key);
  if (!c) byConfig.set(key, (c = new LlmClient(config, { registry })));
  return c;
}
