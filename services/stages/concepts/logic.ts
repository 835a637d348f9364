/** S→C: the base model names the programming concepts of one seed. Pure: no I/O. */
import { contentId } from "../../../schemas/common.ts";
import type { Concepts, Seed } from "../../../schemas/records.ts";
import type { CompletionChoice, CompletionRequest } from "../../llm/client.ts";
import { constraintsFor, type Generation, idParams, lineageFor } from "../../llm/generation.ts";
import { type Parsed, parseConcepts, truncation } from "../../llm/parsers.ts";
import { conceptsPrompt, STOP } from "../../llm/prompts.ts";
import { deriveSeed, SeededRng } from "../../llm/rng.ts";
import { seedRef } from "../../llm/seed-ref.ts";

export function conceptsRequest(seed: Seed, g: Generation): CompletionRequest {
  const s = g.settings;
  const shots = g.pool.pick(s.shots, s.shotOrder, new SeededRng(s.runSeed, "concepts", seed.id));
  return {
    prompt: conceptsPrompt(seed.standalone, shots),
    n: 1,
    max_tokens: s.maxTokens,
    temperature: s.temperature,
    stop: STOP.concepts,
    ...constraintsFor("concepts", s),
    seed: deriveSeed(s.runSeed, "concepts", seed.id),
  };
}

export function conceptsRecord(seed: Seed, req: CompletionRequest, choice: CompletionChoice, g: Generation, now: Date): Parsed<Concepts> {
  const parsed = truncation(choice.finish_reason) ?? parseConcepts(choice.text);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    value: {
      id: contentId({ parent: seed.id, stage: "concepts", params: idParams(g, req) }),
      seed: seedRef(seed),
      concepts: parsed.value,
      raw: choice.text,
      lineage: lineageFor(g, req, now),
    },
  };
}
