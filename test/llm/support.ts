/** Shared by the LLM stage tests: records to feed, completions a well-behaved model would write, and stage kits on a fresh registry. */
import { pino } from "pino";
import { Registry } from "prom-client";
import { contentId, SCHEMA_VERSION } from "../../schemas/common.ts";
import type { Concepts, Instruction, Seed } from "../../schemas/records.ts";
import { LlmStageKit } from "../../services/llm/stage-kit.ts";
import type { Mode } from "../../services/llm/prompts.ts";
import type { StageContext } from "../../services/runtime/stage.ts";
import type { ScriptedRequest } from "./scripted-server.ts";

export function seed(i: number): Seed {
  const code = `def f${i}(xs):\n    """Sum of the squares of xs (seed ${i})."""\n    return sum(x * x for x in xs)\n`;
  return {
    id: contentId({ parent: `corpus/file${i}.py`, stage: "seeds", params: { i } }),
    code,
    standalone: code,
    name: `f${i}`,
    path: `src/file${i}.py`,
    start_line: 1,
    end_line: 3,
    repo: "example/repo",
    license: "mit",
    lineage: { run_id: "test", schema_version: SCHEMA_VERSION, created_at: new Date(0).toISOString() },
  };
}

export function conceptsFixture(i: number): Concepts {
  const s = seed(i);
  return {
    id: contentId({ parent: s.id, stage: "concepts", params: { i } }),
    seed: { seed_id: s.id, seed: s.standalone, path: s.path, repo: s.repo, license: s.license },
    concepts: ["generator expressions", "summation"],
    raw: " generator expressions, summation",
    lineage: { run_id: "run-1", schema_version: SCHEMA_VERSION, created_at: new Date(0).toISOString() },
  };
}

export function instructionFixture(i: number): Instruction {
  const c = conceptsFixture(i);
  return {
    id: contentId({ parent: c.id, stage: "instructions", params: { i } }),
    seed: c.seed,
    concepts_id: c.id,
    concepts: c.concepts,
    category: "function implementation",
    language: "Python",
    difficulty: "easy",
    instruction: `${GOOD.instructions(i).trim()} (task ${i})`,
    raw: GOOD.instructions(i),
    lineage: c.lineage,
  };
}

/** Which mode a prompt is for, from where it ends. */
export function modeOf(r: ScriptedRequest): Mode {
  // Prompts end where the reference's do (rstripped), so the heading is the last thing in them.
  const p = String(r.body.prompt ?? "").trimEnd();
  if (p.endsWith("### Concepts")) return "concepts";
  if (p.endsWith("### Task")) return "instructions";
  if (p.endsWith("<response>")) return "responses";
  throw new Error(`unexpected prompt ending: ${JSON.stringify(p.slice(-40))}`);
}

export const GOOD: Record<Mode, (i: number) => string> = {
  concepts: () => " generator expressions, summation, numeric iteration\n\n",
  instructions: () => "Write a Python function sum_of_cubes(xs) that returns the sum of the cubes of the integers in xs.\n\n",
  responses: (i) =>
    `Iterate once and accumulate (sample ${i}).\n\n\`\`\`python\ndef sum_of_cubes(xs):\n    return sum(x ** 3 for x in xs)\n\`\`\`\n\nA generator keeps memory flat.\n</response>\n\n<tests>\n\`\`\`python\nassert sum_of_cubes([1, 2]) == 9\n\`\`\`\n`,
};

export const BAD: Record<Mode, string> = {
  concepts: "\n\n",
  instructions: "   ",
  responses: "I would write a function but forgot the tags.",
};

export function testEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { LLM_BASE_URL: url, LLM_MODEL: "test-model", LLM_RETRY_BASE_MS: "5", LLM_RETRY_MAX_MS: "20", SCA_RUN_ID: "run-1", ...extra };
}

export function kit(mode: Mode, url: string, extra: Record<string, string> = {}, registry = new Registry()): LlmStageKit {
  return LlmStageKit.fromEnv(testEnv(url, extra), mode, registry);
}

export async function metricValue(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  // Histograms list their _sum/_count/_bucket series under the base name.
  const values = (await reg.getMetricsAsJSON()).flatMap((m) =>
    m.values.map((v) => ({ ...v, metricName: (v as { metricName?: string }).metricName ?? m.name })),
  );
  return values.filter((v) => v.metricName === name && Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

export function ctx(attempt = 1, signal = new AbortController().signal): StageContext {
  return { log: pino({ level: "silent" }), attempt, signal };
}
