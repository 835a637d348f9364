import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { describeZodError } from "../shared/zod-error.ts";

/** One string whose presence in a text marks that text as benchmark material. */
export interface BenchmarkString {
  text: string;
  /** where it came from, e.g. `HumanEval.jsonl.gz:HumanEval/0 (docstring)` */
  origin: string;
}

/**
 * HumanEval canonical solutions too generic to be evidence of contamination (the reference's
 * exemption list; its last entry is meant as `return ''.join(strings)`).
 */
export const GENERIC_SOLUTIONS: ReadonlySet<string> = new Set(["return x + y", "return len(string)", "return n**2", "return ''.join(strings)"]);

/** The benchmarks shipped with the project (`services/decontam/benchmarks`), unless SCA_BENCHMARKS_DIR says otherwise. */
export function defaultBenchmarksDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SCA_BENCHMARKS_DIR) return resolve(env.SCA_BENCHMARKS_DIR);
  return resolve(dirname(fileURLToPath(import.meta.url)), "benchmarks");
}

/** The shipped files seeds are checked against: HumanEval and MBPP, as the reference's seed gathering does. */
const SEED_BENCHMARKS = /^(HumanEval|mbpp|sanitized-mbpp)\.jsonl(\.gz)?$/;

/** Shipped files whose solutions are not evidence (the reference checks GSM8K questions and DS-1000 prompts only). */
const PROBLEM_ONLY = /^(gsm8k|ds1000)/;

/** What seeds are decontaminated against: a user's folder whole, or the shipped HumanEval and MBPP. */
export function seedBenchmarks(env: NodeJS.ProcessEnv = process.env): BenchmarkString[] {
  if (env.SCA_BENCHMARKS_DIR) return loadBenchmarks([defaultBenchmarksDir(env)]);
  const dir = defaultBenchmarksDir(env);
  return readdirSync(dir)
    .filter((f) => SEED_BENCHMARKS.test(f))
    .sort()
    .flatMap((f) => loadBenchmarkFile(join(dir, f)));
}

const BenchmarkLine = z.looseObject({
  task_id: z.union([z.string(), z.number()]).optional(),
  prompt: z.string().optional(),
  text: z.string().optional(),
  question: z.string().optional(),
  canonical_solution: z.string().optional(),
  code: z.string().optional(),
  solution: z.string().optional(),
});

/**
 * Every `*.jsonl` / `*.jsonl.gz` file of the given folders. A line contributes its problem text
 * (`prompt`, `text` or `question`) and its solution (`canonical_solution`, `code` or `solution`),
 * the reference's way: the docstring of a HumanEval-style code prompt, the part of a DS-1000
 * prompt before its solution marker, stripped text otherwise.
 */
export function loadBenchmarks(dirs: string[]): BenchmarkString[] {
  const out: BenchmarkString[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new Error(`benchmarks folder ${JSON.stringify(dir)} does not exist: set SCA_BENCHMARKS_DIR or pass --benchmarks`);
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".jsonl") || f.endsWith(".jsonl.gz"))
      .sort();
    for (const f of files) out.push(...loadBenchmarkFile(join(dir, f)));
  }
  return out;
}

export function loadBenchmarkFile(path: string): BenchmarkString[] {
  const raw = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  const name = path.split("/").pop()!;
  const out: BenchmarkString[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: not JSON (${(e as Error).message})`);
    }
    const r = BenchmarkLine.safeParse(json);
    if (!r.success) throw new Error(`${path}:${i + 1}: ${describeZodError(r.error, json)}`);
    const rec = r.data;
    const problem = rec.prompt ?? rec.text ?? rec.question;
    const solution = rec.canonical_solution ?? rec.code ?? rec.solution;
    if (problem === undefined && solution === undefined) {
      throw new Error(
        `${path}:${i + 1}: a benchmark line needs prompt/text/question or canonical_solution/code/solution (got keys ${Object.keys(rec).join(", ")})`,
      );
    }
    const where = `${name}:${rec.task_id ?? `line ${i + 1}`}`;
    for (const p of problem === undefined ? [] : problemTexts(problem)) {
      if (p) out.push({ text: p, origin: `${where} (prompt)` });
    }
    const s = PROBLEM_ONLY.test(name) ? "" : (solution?.trim() ?? "");
    if (s && !GENERIC_SOLUTIONS.has(s)) out.push({ text: s, origin: `${where} (solution)` });
  });
  return out;
}

/**
 * The parts of a benchmark prompt that identify it: the text before a DS-1000 solution marker;
 * the docstrings of a HumanEval-style code prompt (the reference takes the target function's;
 * the docstrings of helper functions given in the prompt are benchmark text as well); else the
 * stripped prompt.
 */
export function problemTexts(prompt: string): string[] {
  for (const marker of ["BEGIN SOLUTION", "SOLUTION START"]) {
    const at = prompt.indexOf(marker);
    if (at >= 0) return [prompt.slice(0, at).trim()];
  }
  for (const quote of ['"""', "'''"]) {
    const parts = prompt.split(quote);
    if (parts.length >= 3 && parts.length % 2 === 1) return parts.filter((_, i) => i % 2 === 1).map((d) => d.trim());
  }
  return [prompt.trim()];
}
