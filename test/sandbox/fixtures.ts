import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import type { SandboxOptions } from "../../services/sandbox/index.ts";

const HUMAN_EVAL = "/work/shared/data/benchmarks/HumanEval.jsonl.gz";
const Task = z.object({ task_id: z.string(), prompt: z.string(), canonical_solution: z.string(), test: z.string(), entry_point: z.string() });

export interface HumanEvalProgram {
  id: string;
  code: string;
  tests: string;
  /** The same function with its body replaced by `return None`: must fail. */
  broken: string;
}

/** HumanEval as programs: prompt + canonical solution as code, test + check(entry_point) as tests. */
export function humanEval(path = process.env.SCA_HUMANEVAL ?? HUMAN_EVAL): HumanEvalProgram[] {
  return gunzipSync(readFileSync(path))
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => Task.parse(JSON.parse(l)))
    .map((t) => ({
      id: t.task_id,
      code: t.prompt + t.canonical_solution,
      tests: `${t.test}\n\ncheck(${t.entry_point})\n`,
      broken: `${t.prompt}    return None\n`,
    }));
}

/** Every backend the suites must pass on. The docker ones need the engine and image start-docker.sh provides. */
export const BACKENDS: Array<{ name: string; options: SandboxOptions }> = [
  { name: "bwrap", options: { backend: "bwrap" } },
  { name: "docker:runc", options: { backend: "docker", runtime: "runc" } },
  { name: "docker:runsc", options: { backend: "docker", runtime: "runsc" } },
];
