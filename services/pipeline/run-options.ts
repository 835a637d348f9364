import { z } from "zod";
import { BackendName } from "../sandbox/index.ts";
import { policyNames } from "../stages/selector/policies.ts";

const positiveInt = z.coerce.number().int().positive();
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** "90s", "5m", "1h", "250ms"; a bare number is seconds. */
export const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, "a duration such as 90s, 5m or 1h")
  .transform((v) => {
    const [, n, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v) as RegExpExecArray;
    return Math.round(Number(n) * UNIT_MS[(unit ?? "s") as keyof typeof UNIT_MS]);
  });

/** `sca run`'s flags, validated; each also documented in the README's configuration reference. */
export const RunOptions = z
  .object({
    corpus: z.array(z.string().min(1)).default([]),
    seeds: z.string().min(1).optional(),
    /** Defaults depend on the LLM: see `defaultsFor`. */
    limit: positiveInt.optional(),
    samples: positiveInt.optional(),
    /** Completion budget of every LLM stage (LLM_MAX_TOKENS); the local model's per-stage defaults otherwise. */
    maxTokens: positiveInt.optional(),
    out: z.string().min(1).default("out"),
    state: z.string().min(1).default(".sca-state"),
    llmBaseUrl: z.url().optional(),
    llmModel: z.string().min(1).optional(),
    sandbox: BackendName.default("auto"),
    sandboxTimeout: z
      .string()
      .regex(/^\d+(\.\d+)?$/, "seconds, e.g. 10 or 2.5")
      .optional(),
    policy: z
      .string()
      .refine((p) => policyNames().includes(p), { error: `a selection policy: ${policyNames().join(", ")}` })
      .default("pass-random"),
    stragglerTimeoutMs: positiveInt.default(10 * 60_000),
    /** Curation rules switched off, comma-separated (validated by the curation stage's config). */
    curationSkip: z.string().optional(),
    typecheck: z.boolean().default(true),
    /** Seeds spread over the corpus (ingest's `spread`); by default on with the local model only. */
    spreadSeeds: z.boolean().optional(),
    /** The seed quality judge; it runs only against a real LLM server. */
    judge: z.boolean().default(true),
    progress: z.enum(["auto", "bars", "lines", "none"]).default("auto"),
    /** Serve /metrics, /healthz, /readyz on this port while running (0 = any free port); off when absent. */
    metricsPort: z.coerce.number().int().min(0).max(65_535).optional(),
    /** A dependency (LLM server, sandbox) down this long stops the run, resumable, with a non-zero exit. */
    maxOutage: Duration.default(30 * 60_000),
  })
  .refine((o) => !(o.seeds && o.corpus.length > 0), { message: "give --seeds FILE or a corpus, not both", path: ["seeds"] });
export type RunOptions = z.output<typeof RunOptions>;

/**
 * The local 270M model decodes about 13 tokens per second on 2 cores and, left free, rambles past
 * the end of most sections (a concept line that never ends, code that repeats a call until the
 * budget runs out: every response was cut off or left the format in the runs measured without it).
 * Its defaults therefore hold each completion to its format grammar (format-grammar.ts: the shape
 * and a length bound, never the content) and spend the time saved on more seeds and samples, with
 * fewer shots; their tests are sampled after the code (after-code). With a real server (vLLM) the
 * reference's values apply and nothing is constrained.
 * Explicit flags and env vars always win.
 */
export function defaultsFor(local: boolean, env: NodeJS.ProcessEnv): { limit: number; samples: number; env: Record<string, string> } {
  if (!local) return { limit: 10, samples: 10, env: {} };
  const pick = (k: string, v: string) => (env[k] ? {} : { [k]: v });
  // An explicit LLM_MAX_TOKENS (or --max-tokens) is the user's budget for every stage.
  const budget = env.LLM_MAX_TOKENS ? {} : { ...pick("LLM_MAX_TOKENS", "320"), ...pick("SCA_RESPONSES_MAX_TOKENS", "768") };
  return {
    limit: 10,
    samples: 4,
    env: {
      ...budget,
      // The model runs in this process and queues every request FIFO: on a loaded machine a request
      // waits behind all others (measured: > 10 min at load 20 with 6 x 8 samples), and timing it out
      // only throws its samples away and queues it again.
      ...pick("LLM_TIMEOUT_MS", "3600000"),
      ...pick("SCA_FORMAT_GRAMMAR", "gbnf"),
      // Tests sampled after the code, calling only what it defines, three draws per code (after-code
      // needs the grammar, so not when the user turned it off).
      ...((env.SCA_FORMAT_GRAMMAR ?? "gbnf") === "gbnf" ? { ...pick("SCA_RESPONSES_TESTS", "after-code"), ...pick("SCA_TESTS_PER_CODE", "3") } : {}),
      // Easy one-function tasks, shown by short examples: what a 270M model can answer and test.
      ...pick("SCA_FEWSHOT_POOL", "easy"),
      ...pick("SCA_INSTRUCTIONS_CATEGORIES", "function implementation"),
      ...pick("SCA_INSTRUCTIONS_DIFFICULTIES", "easy"),
      ...pick("SCA_CONCEPTS_SHOTS", "2"),
      ...pick("SCA_INSTRUCTIONS_SHOTS", "2"),
      ...pick("SCA_RESPONSES_SHOTS", "1"),
    },
  };
}
