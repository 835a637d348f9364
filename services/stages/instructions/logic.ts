/** C→I: the base model writes a task from sampled properties and a seed's concepts. Pure: no I/O. */
import { contentId } from "../../../schemas/common.ts";
import type { Concepts, Instruction } from "../../../schemas/records.ts";
import { type Category as CategoryT, Difficulty } from "../../../schemas/records.ts";
import type { z } from "zod";
import type { CompletionChoice, CompletionRequest } from "../../llm/client.ts";
import { constraintsFor, type Generation, idParams, lineageFor } from "../../llm/generation.ts";
import { type Parsed, parseInstruction, truncation } from "../../llm/parsers.ts";
import { instructionsPrompt, STOP } from "../../llm/prompts.ts";
import { deriveSeed, SeededRng } from "../../llm/rng.ts";

/** As in the reference: function implementation twice, so it is drawn half the time. */
type Category = z.infer<typeof CategoryT>;
type Difficulty = z.infer<typeof Difficulty>;
const CATEGORIES: Category[] = ["function implementation", "function implementation", "class implementation", "program implementation"];
const DIFFICULTIES: Difficulty[] = Difficulty.options;
export const LANGUAGE = "Python";

export interface InstructionPlan {
  req: CompletionRequest;
  category: Category;
  difficulty: Difficulty;
}

/** Properties and shots come from an RNG seeded by the run seed and the concepts id: replays draw the same. */
export function instructionPlan(concepts: Concepts, g: Generation): InstructionPlan {
  const s = g.settings;
  const rng = new SeededRng(s.runSeed, "instructions", concepts.id);
  const category = rng.pick(s.categories.length ? s.categories : CATEGORIES);
  const difficulty = rng.pick(s.difficulties.length ? s.difficulties : DIFFICULTIES);
  const shots = g.pool.pick(s.shots, s.shotOrder, rng);
  return {
    category,
    difficulty,
    req: {
      prompt: instructionsPrompt({ category, language: LANGUAGE, difficulty, concepts: concepts.concepts }, shots),
      n: 1,
      max_tokens: s.maxTokens,
      temperature: s.temperature,
      stop: STOP.instructions,
      ...constraintsFor("instructions", s),
      seed: deriveSeed(s.runSeed, "instructions", concepts.id),
    },
  };
}

export function instructionRecord(concepts: Concepts, plan: InstructionPlan, choice: CompletionChoice, g: Generation, now: Date): Parsed<Instruction> {
  const parsed = truncation(choice.finish_reason) ?? parseInstruction(choice.text);
  if (!parsed.ok) return parsed;
  const { req, category, difficulty } = plan;
  return {
    ok: true,
    value: {
      id: contentId({ parent: concepts.id, stage: "instructions", params: { ...idParams(g, req), category, difficulty } }),
      seed: concepts.seed,
      concepts_id: concepts.id,
      concepts: concepts.concepts,
      category,
      language: LANGUAGE,
      difficulty,
      instruction: parsed.value,
      raw: choice.text,
      lineage: lineageFor(g, req, now),
    },
  };
}
