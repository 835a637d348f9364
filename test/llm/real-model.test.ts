// S→C, C→I and I→R on two seeds against the real Gemma 3 270M base model served by our OpenAI-compatible
// server on CPU: the stages' own prompts, parsers and sampling (temperature 0.7, the reference's shot
// counts), with smaller max_tokens and fewer response samples to bound CI time. A 270M base model often
// writes text that does not parse, so each stage gets a few attempts, each with a fresh run seed.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId, SCHEMA_VERSION } from "../../schemas/common.ts";
import { Concepts, Instruction, Response, Seed } from "../../schemas/records.ts";
import { createStage as conceptsStage } from "../../services/concepts/stage.ts";
import { createStage as instructionsStage } from "../../services/instructions/stage.ts";
import { type LocalModelServer, startLocalModelServer } from "../../services/llm/local-model/server.ts";
import { createStage as responsesStage } from "../../services/responses/stage.ts";
import { isPoison } from "../../services/runtime/errors.ts";
import type { Emit, StageDef } from "../../services/runtime/stage.ts";
import { installedModelPath, TEST_THREADS } from "./local-model/model-env.ts";

type Mode = "concepts" | "instructions" | "responses";
const MAX_TOKENS: Record<Mode, number> = { concepts: 64, instructions: 160, responses: 448 };
const ATTEMPTS = 4;
const RESPONSE_SAMPLES = 2;

const SEEDS = [
  `def count_vowels(text: str) -> int:\n    """Return how many vowels (a, e, i, o, u) the text contains, ignoring case."""\n    return sum(1 for ch in text.lower() if ch in "aeiou")\n`,
  `def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:\n    """Merge overlapping closed intervals and return them sorted by start."""\n    merged: list[tuple[int, int]] = []\n    for start, end in sorted(intervals):\n        if merged and start <= merged[-1][1]:\n            merged[-1] = (merged[-1][0], max(merged[-1][1], end))\n        else:\n            merged.append((start, end))\n    return merged\n`,
].map((code, i): Seed => {
  const name = /def (\w+)/.exec(code)![1];
  return {
    id: contentId({ parent: "real-model-test", stage: "seeds", params: { code } }),
    code,
    standalone: code,
    name,
    path: `fixtures/seed_${i}.py`,
    start_line: 1,
    end_line: code.split("\n").length - 1,
    repo: "selfcodealign-stream/tests",
    license: "Apache-2.0",
    lineage: { run_id: "real-model-test", schema_version: SCHEMA_VERSION, created_at: new Date().toISOString() },
  };
});

describe("the three LLM stages on the real small model", () => {
  let server: LocalModelServer;
  const log = pino({ level: "silent" });
  const tally: Record<Mode, { attempts: number; unparsable: string[] }> = {
    concepts: { attempts: 0, unparsable: [] },
    instructions: { attempts: 0, unparsable: [] },
    responses: { attempts: 0, unparsable: [] },
  };

  beforeAll(async () => {
    server = await startLocalModelServer({ modelPath: await installedModelPath(), threads: TEST_THREADS, sequences: 2, contextSize: 4096, log });
  });
  afterAll(async () => {
    await server?.close();
    console.log(`attempts and unparsable completions per stage: ${JSON.stringify(tally, null, 1)}`);
  });

  function env(mode: Mode, attempt: number): NodeJS.ProcessEnv {
    return {
      LLM_BASE_URL: server.baseURL,
      LLM_MODEL: server.model,
      LLM_TIMEOUT_MS: "240000",
      LLM_MAX_ATTEMPTS: "2",
      SCA_RUN_ID: "real-model-test",
      SCA_SEED: String(3407 + attempt),
      LLM_TEMPERATURE: "0.7",
      LLM_MAX_TOKENS: String(MAX_TOKENS[mode]),
      SCA_RESPONSES_SAMPLES: String(RESPONSE_SAMPLES),
    };
  }

  /** Runs one stage on one record until its output parses; an unparsable completion costs one attempt. */
  async function runStage(mode: Mode, create: (env: NodeJS.ProcessEnv) => Promise<StageDef>, input: unknown): Promise<Emit[]> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const stage = await create(env(mode, attempt));
      tally[mode].attempts++;
      try {
        return await stage.process(input, { log, attempt: 1, signal: new AbortController().signal });
      } catch (e) {
        if (!isPoison(e) || e.reason !== "unparsable_output") throw e;
        tally[mode].unparsable.push(e.message.slice(0, 160));
      }
    }
    throw new Error(`${mode}: no parsable completion in ${ATTEMPTS} attempts: ${tally[mode].unparsable.join(" | ")}`);
  }

  it(
    "turns two seeds into concepts, tasks and tested responses from generated text",
    async () => {
      // Both seeds in parallel: the server's two sequences decode them in one batch.
      const results = await Promise.all(
        SEEDS.map(async (seed) => {
          const [c] = await runStage("concepts", conceptsStage, seed);
          const concepts = Concepts.parse(c.value);
          const [i] = await runStage("instructions", instructionsStage, concepts);
          const instruction = Instruction.parse(i.value);
          const out = await runStage("responses", responsesStage, instruction);
          const responses = out.filter((e) => e.topic === "responses").map((e) => Response.parse(e.value));
          return { seed, concepts, instruction, responses };
        }),
      );
      for (const { seed, concepts, instruction, responses } of results) {
        console.log(
          `seed ${seed.name}\n  concepts: ${concepts.concepts.join(" | ")}\n  task (${instruction.category}, ${instruction.difficulty}): ${instruction.instruction.slice(0, 300)}\n` +
            responses.map((r) => `  response ${r.sample_index + 1}/${r.n_samples}: code ${r.code.length} chars, tests ${r.tests.length} chars\n${r.code.slice(0, 400)}\n--- tests\n${r.tests.slice(0, 300)}`).join("\n"),
        );
        expect(concepts.seed.seed_id).toBe(seed.id);
        expect(concepts.concepts.length).toBeGreaterThan(0);
        expect(concepts.lineage.model).toBe(server.model);
        expect(concepts.raw).toContain(concepts.concepts[0]);
        expect(instruction.concepts_id).toBe(concepts.id);
        expect(instruction.raw).toContain(instruction.instruction.slice(0, 20));
        expect(responses.length).toBeGreaterThan(0);
        for (const r of responses) {
          expect(r.instruction_id).toBe(instruction.id);
          expect(r.code.trim().length).toBeGreaterThan(0);
          expect(r.tests.trim().length).toBeGreaterThan(0);
          expect(r.raw).toContain("</response>");
          expect(r.lineage.sampling?.n).toBe(RESPONSE_SAMPLES);
        }
      }
    },
    // Two seeds x three stages on 2 shared cores; the 5-minute budget is for the worst case of retries.
    300_000,
  );
});
