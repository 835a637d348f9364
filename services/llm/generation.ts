import { z } from "zod";
import { type Lineage, SCHEMA_VERSION, type Sampling } from "../../schemas/common.ts";
import type { CompletionRequest } from "./client.ts";
import { Category, Difficulty } from "../../schemas/records.ts";
import { type FewShotPool, PoolName, ShotOrder } from "./fewshot/pool.ts";
import { afterCodeGrammarId, CODE_GRAMMAR, FORMAT_GRAMMAR, grammarId } from "./format-grammar.ts";
import type { Mode } from "./prompts.ts";
import { commaList } from "../shared/comma-list.ts";

/** The knobs of one generation stage, defaulting to the reference's values. */
export const GenerationSettings = z.object({
  runId: z.string().min(1),
  runSeed: z.coerce.number().int(),
  temperature: z.coerce.number().min(0).max(2),
  maxTokens: z.coerce.number().int().min(1),
  shots: z.coerce.number().int().min(0),
  samples: z.coerce.number().int().min(1),
  shotOrder: ShotOrder,
  /** Constrain completions to the mode's format grammar (format-grammar.ts); only for servers that take `guided_grammar`. */
  grammar: z.enum(["off", "gbnf"]),
  /** vLLM's repetition_penalty; 1 (the default) sends none. */
  repetitionPenalty: z.coerce.number().gt(0).max(2),
  /**
   * Responses only: `joint` (the reference's way) samples code and tests in one completion;
   * `after-code` samples the code, then its tests in a second completion that may call only the
   * functions the code defines (format-grammar.ts; needs SCA_FORMAT_GRAMMAR=gbnf).
   */
  tests: z.enum(["joint", "after-code"]),
  /** The temperature of the after-code tests completion. */
  testsTemperature: z.coerce.number().min(0).max(2),
  /**
   * After-code only: tests drawn per code sample. A small model that wrote a correct function often
   * misjudges its values; a few draws of tests (about a tenth of a sample's tokens) give that code
   * more chances, and each code + tests pairing is judged as its own sample.
   */
  testsPerCode: z.coerce.number().int().min(1).max(16),
  /** Which built-in few-shot pool the prompts draw from (fewshot/pool.ts). */
  pool: PoolName,
  /**
   * Instructions only: the categories and difficulties a task's properties are drawn from, comma-
   * separated; empty is the reference's draw (instructions/logic.ts). Each record names its own.
   */
  categories: commaList(Category),
  difficulties: commaList(Difficulty),
});
export type GenerationSettings = z.infer<typeof GenerationSettings>;

const DEFAULT_SHOTS: Record<Mode, string> = { concepts: "8", instructions: "8", responses: "1" };

/** Everything pure stage logic needs besides its input record. */
export interface Generation {
  mode: Mode;
  settings: GenerationSettings;
  model: string;
  promptHash: string;
  pool: FewShotPool;
}

/**
 * A stage's completion budget: SCA_<MODE>_MAX_TOKENS, else LLM_MAX_TOKENS, else the reference's 1536.
 * Per stage because a concept list needs tens of tokens and a response with tests hundreds.
 */
export function maxTokensVar(env: NodeJS.ProcessEnv, mode: Mode): [string, string] {
  const own = `SCA_${mode.toUpperCase()}_MAX_TOKENS`;
  return env[own] ? [own, env[own]] : ["LLM_MAX_TOKENS", env.LLM_MAX_TOKENS ?? "1536"];
}

export function generationSettingsFromEnv(env: NodeJS.ProcessEnv, mode: Mode): GenerationSettings {
  const M = mode.toUpperCase();
  const vars: Record<keyof GenerationSettings, [string, string | undefined]> = {
    runId: ["SCA_RUN_ID", env.SCA_RUN_ID ?? "local"],
    runSeed: ["SCA_SEED", env.SCA_SEED ?? "3407"],
    temperature: ["LLM_TEMPERATURE", env.LLM_TEMPERATURE ?? "0.7"],
    maxTokens: maxTokensVar(env, mode),
    shots: [`SCA_${M}_SHOTS`, env[`SCA_${M}_SHOTS`] ?? DEFAULT_SHOTS[mode]],
    // S→C and C→I produce one record per input, keyed by it: only I→R samples several.
    samples: [`SCA_${M}_SAMPLES`, mode === "responses" ? (env.SCA_RESPONSES_SAMPLES ?? "10") : "1"],
    shotOrder: ["SCA_SHOT_ORDER", env.SCA_SHOT_ORDER ?? "random"],
    grammar: ["SCA_FORMAT_GRAMMAR", env.SCA_FORMAT_GRAMMAR ?? "off"],
    repetitionPenalty: ["LLM_REPETITION_PENALTY", env.LLM_REPETITION_PENALTY ?? "1"],
    tests: ["SCA_RESPONSES_TESTS", env.SCA_RESPONSES_TESTS ?? "joint"],
    testsTemperature: ["SCA_TESTS_TEMPERATURE", env.SCA_TESTS_TEMPERATURE ?? env.LLM_TEMPERATURE ?? "0.7"],
    testsPerCode: ["SCA_TESTS_PER_CODE", env.SCA_TESTS_PER_CODE ?? "1"],
    pool: ["SCA_FEWSHOT_POOL", env.SCA_FEWSHOT_POOL ?? "default"],
    categories: ["SCA_INSTRUCTIONS_CATEGORIES", env.SCA_INSTRUCTIONS_CATEGORIES ?? ""],
    difficulties: ["SCA_INSTRUCTIONS_DIFFICULTIES", env.SCA_INSTRUCTIONS_DIFFICULTIES ?? ""],
  };
  const raw = Object.fromEntries(Object.entries(vars).map(([k, [, v]]) => [k, v]));
  const r = GenerationSettings.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => {
      const [name, value] = vars[String(i.path[0]) as keyof GenerationSettings];
      return `${name}: ${i.message} (got ${JSON.stringify(value)})`;
    });
    throw new Error(`invalid ${mode} stage settings: ${issues.join("; ")}`);
  }
  if (mode === "responses" && r.data.tests === "after-code" && r.data.grammar !== "gbnf") {
    throw new Error(`invalid responses stage settings: SCA_RESPONSES_TESTS=after-code needs SCA_FORMAT_GRAMMAR=gbnf (got ${JSON.stringify(r.data.grammar)})`);
  }
  return r.data;
}

export function samplingOf(req: CompletionRequest): Sampling {
  return {
    temperature: req.temperature,
    max_tokens: req.max_tokens,
    seed: req.seed,
    n: req.n,
    stop: req.stop,
    ...(req.grammar ? { grammar: req.grammar.id } : {}),
    ...(req.repetition_penalty !== undefined ? { repetition_penalty: req.repetition_penalty } : {}),
    ...(req.tests_temperature !== undefined ? { tests_temperature: req.tests_temperature } : {}),
    ...(req.tests_per_code !== undefined && req.tests_per_code > 1 ? { tests_per_code: req.tests_per_code } : {}),
  };
}

/** The request fields a stage adds for its decoding constraints, when its settings ask for them. */
export function constraintsFor(
  mode: Mode,
  s: GenerationSettings,
): Pick<CompletionRequest, "grammar" | "repetition_penalty" | "tests_temperature" | "tests_per_code"> {
  // The settings refuse after-code without a grammar, so after-code here always has one.
  const afterCode = mode === "responses" && s.tests === "after-code";
  const grammar = afterCode ? { id: afterCodeGrammarId(), gbnf: CODE_GRAMMAR } : { id: grammarId(mode), gbnf: FORMAT_GRAMMAR[mode] };
  return {
    ...(s.grammar === "gbnf" ? { grammar } : {}),
    ...(s.repetitionPenalty !== 1 ? { repetition_penalty: s.repetitionPenalty } : {}),
    ...(afterCode ? { tests_temperature: s.testsTemperature } : {}),
    ...(afterCode && s.testsPerCode > 1 ? { tests_per_code: s.testsPerCode } : {}),
  };
}

export function lineageFor(g: Generation, req: CompletionRequest, now: Date): Lineage {
  return {
    run_id: g.settings.runId,
    schema_version: SCHEMA_VERSION,
    created_at: now.toISOString(),
    model: g.model,
    prompt_hash: g.promptHash,
    sampling: samplingOf(req),
  };
}

/** What makes two generations the same: hashed into the output's content id. */
export function idParams(g: Generation, req: CompletionRequest): Record<string, unknown> {
  return { model: g.model, prompt_hash: g.promptHash, sampling: samplingOf(req) };
}
