import { z } from "zod";

const int = (min: number) => z.coerce.number().int().min(min);

/** How the client reaches an OpenAI-compatible server; every field comes from an env var. */
export const LlmConfig = z.object({
  baseURL: z.url(),
  model: z.string().min(1),
  apiKey: z.string().min(1),
  /** base models take few-shot text prompts (/v1/completions); chat is for servers that only offer chat. */
  api: z.enum(["completions", "chat"]),
  timeoutMs: int(1),
  maxAttempts: int(1),
  retryBaseMs: int(0),
  retryMaxMs: int(0),
  initialConcurrency: int(1),
  minConcurrency: int(1),
  maxConcurrency: int(1),
});
export type LlmConfig = z.infer<typeof LlmConfig>;

const ENV: Record<keyof LlmConfig, { name: string; fallback?: string }> = {
  baseURL: { name: "LLM_BASE_URL" },
  model: { name: "LLM_MODEL" },
  // vLLM and most local servers ignore the key but the SDK insists on one.
  apiKey: { name: "LLM_API_KEY", fallback: "none" },
  api: { name: "LLM_API", fallback: "completions" },
  // A full 1536-token generation behind a long queue can take minutes.
  timeoutMs: { name: "LLM_TIMEOUT_MS", fallback: "600000" },
  maxAttempts: { name: "LLM_MAX_ATTEMPTS", fallback: "4" },
  retryBaseMs: { name: "LLM_RETRY_BASE_MS", fallback: "500" },
  retryMaxMs: { name: "LLM_RETRY_MAX_MS", fallback: "30000" },
  initialConcurrency: { name: "LLM_CONCURRENCY_INITIAL", fallback: "4" },
  minConcurrency: { name: "LLM_CONCURRENCY_MIN", fallback: "1" },
  maxConcurrency: { name: "LLM_CONCURRENCY_MAX", fallback: "512" },
};

/** Reads the LLM config from the environment; a bad value fails naming the variable and the value. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv): LlmConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, { name, fallback }] of Object.entries(ENV)) raw[field] = env[name] ?? fallback;
  const r = LlmConfig.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => {
      const field = String(i.path[0]) as keyof LlmConfig;
      return `${ENV[field]?.name ?? field}: ${i.message} (got ${JSON.stringify(raw[field]) ?? "nothing"})`;
    });
    throw new Error(`invalid LLM configuration: ${issues.join("; ")}`);
  }
  if (r.data.minConcurrency > r.data.maxConcurrency)
    throw new Error(`LLM_CONCURRENCY_MIN (${r.data.minConcurrency}) exceeds LLM_CONCURRENCY_MAX (${r.data.maxConcurrency})`);
  return r.data;
}
