import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from "prom-client";

export const ERROR_KINDS = ["rate_limited", "server_error", "timeout", "connection", "bad_request", "invalid_response", "other"] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Every metric of the LLM layer; labels are small fixed sets (stage, outcome, kind, reason). */
export interface LlmMetrics {
  requests: Counter<"stage" | "outcome">;
  promptTokens: Counter<"stage">;
  completionTokens: Counter<"stage">;
  duration: Histogram<"stage">;
  inFlight: Gauge;
  concurrencyLimit: Gauge;
  errors: Counter<"stage" | "kind">;
  retries: Counter<"stage">;
  finishReasons: Counter<"stage" | "reason">;
  parseFailures: Counter<"stage" | "reason">;
  /** Completions dropped because they did not end at a stop sequence (cut at max_tokens). */
  truncated: Counter<"stage">;
}

const byRegistry = new WeakMap<Registry, LlmMetrics>();

/** One set of metrics per registry, so several stages in one process (`sca run`) share them. */
export function llmMetrics(registry: Registry = globalRegistry): LlmMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const m: LlmMetrics = {
    requests: new Counter({
      name: "sca_llm_requests_total",
      help: "LLM requests by final outcome (after retries)",
      labelNames: ["stage", "outcome"],
      registers,
    }),
    promptTokens: new Counter({ name: "sca_llm_prompt_tokens_total", help: "prompt tokens reported by the server", labelNames: ["stage"], registers }),
    completionTokens: new Counter({
      name: "sca_llm_completion_tokens_total",
      help: "completion tokens reported by the server",
      labelNames: ["stage"],
      registers,
    }),
    duration: new Histogram({
      name: "sca_llm_request_duration_seconds",
      help: "latency of one HTTP attempt",
      labelNames: ["stage"],
      // Long generations behind a queue take minutes: prom-client's default buckets stop at 10 s.
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 240, 420, 600],
      registers,
    }),
    inFlight: new Gauge({ name: "sca_llm_in_flight_requests", help: "requests currently sent and unanswered", registers }),
    concurrencyLimit: new Gauge({
      name: "sca_llm_concurrency_limit",
      help: "current adaptive client-side concurrency limit, in sequences (a request for n samples counts n)",
      registers,
    }),
    errors: new Counter({ name: "sca_llm_errors_total", help: "failed attempts by kind", labelNames: ["stage", "kind"], registers }),
    retries: new Counter({ name: "sca_llm_retries_total", help: "attempts retried after a transient error", labelNames: ["stage"], registers }),
    finishReasons: new Counter({ name: "sca_llm_finish_reasons_total", help: "sampled choices by finish reason", labelNames: ["stage", "reason"], registers }),
    parseFailures: new Counter({
      name: "sca_llm_parse_failures_total",
      help: "completions that did not parse, by reason",
      labelNames: ["stage", "reason"],
      registers,
    }),
    truncated: new Counter({
      name: "sca_llm_truncated_total",
      help: "completions dropped because they did not end at a stop sequence (finish_reason other than stop)",
      labelNames: ["stage"],
      registers,
    }),
  };
  byRegistry.set(registry, m);
  return m;
}
