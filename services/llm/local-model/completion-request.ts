import { z } from "zod";

/** Absent and null both mean "the OpenAI default": clients send either. */
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.output<T>) => schema.nullish().transform((v): z.output<T> => v ?? fallback);

/**
 * Features of the OpenAI completions API this server does not implement. Rejecting them with a 400
 * beats silently ignoring them: a client relying on logprobs or streaming would get wrong results.
 */
const unsupported = {
  stream: (v: unknown) => v === true,
  echo: (v: unknown) => v === true,
  logprobs: (v: unknown) => v != null,
  suffix: (v: unknown) => v != null,
  best_of: (v: unknown) => v != null && v !== 1,
  logit_bias: (v: unknown) => v != null && Object.keys(v as object).length > 0,
  frequency_penalty: (v: unknown) => v != null && v !== 0,
  presence_penalty: (v: unknown) => v != null && v !== 0,
} as const;

/** The body of POST /v1/completions, with OpenAI's defaults filled in; unknown extra fields are ignored. */
export const CompletionRequest = z
  .object({
    model: z.string().nullish(),
    prompt: z.union([z.string(), z.array(z.string()).min(1).max(64)]),
    max_tokens: withDefault(z.number().int().min(1), 16),
    temperature: withDefault(z.number().min(0).max(2), 1),
    top_p: withDefault(z.number().gt(0).max(1), 1),
    // vLLM's extension; -1 and 0 both mean the whole vocabulary.
    top_k: withDefault(z.number().int().min(-1), -1),
    n: withDefault(z.number().int().min(1).max(64), 1),
    stop: withDefault(z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]), []).transform((s) => (typeof s === "string" ? [s] : s)),
    seed: z.number().int().nullish(),
    // vLLM's extensions: a GBNF grammar the completion must match, and a penalty on recently used tokens (1 = none).
    guided_grammar: z.string().min(1).nullish(),
    repetition_penalty: withDefault(z.number().gt(0).max(2), 1),
  })
  .loose()
  .superRefine((body, ctx) => {
    for (const [field, isUsed] of Object.entries(unsupported)) {
      const v = (body as Record<string, unknown>)[field];
      if (isUsed(v)) ctx.addIssue({ code: "custom", path: [field], message: `not supported by this server` });
    }
  });
export type CompletionRequest = z.output<typeof CompletionRequest>;

/** What one sample needs, after expanding prompts x n. */
export interface SampleParams {
  maxTokens: number;
  temperature: number;
  topP: number;
  /** 0 = no cut. */
  topK: number;
  stop: string[];
  seed?: number;
  /** GBNF the completion must match; generation ends where the grammar does. */
  grammar?: string;
  /** > 1 penalises tokens used recently; 1 = off. */
  repetitionPenalty?: number;
}

export type FinishReason = "stop" | "length";

export interface CompletionChoice {
  index: number;
  text: string;
  finish_reason: FinishReason;
  logprobs: null;
}

export interface CompletionResponse {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
