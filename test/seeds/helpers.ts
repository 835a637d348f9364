import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Seed } from "../../schemas/records.ts";
import { defaultBenchmarksDir, loadBenchmarks, seedBenchmarks } from "../../services/decontam/benchmarks.ts";
import { Decontaminator } from "../../services/decontam/matcher.ts";
import type { Candidate } from "../../services/seeds/candidate.ts";
import { extractFunctions } from "../../services/seeds/extract.ts";
import { openCorpus } from "../../services/seeds/corpus.ts";
import { DedupState } from "../../services/seeds/dedup-state.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { DEFAULT_MINHASH } from "../../services/minhash/minhash.ts";
import { ingest } from "../../services/seeds/pipeline.ts";
import { DEFAULT_PYRIGHT } from "../../services/seeds/pyright.ts";
import { JsonlSink } from "../../services/seeds/sinks.ts";
import { pythonStdlibDir } from "../../services/seeds/stdlib.ts";

/** The real interpreter behind the `python3` shim, resolved once. */
let python: string | undefined;
export function pythonExe(): string {
  python ??= execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
  return python;
}

let stdlib: string | undefined;
export function stdlibDir(): string {
  stdlib ??= pythonStdlibDir({ ...process.env, SCA_PYTHON: pythonExe() });
  return stdlib;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sca-seeds-${prefix}-`));
}

/** A fixed set of standard-library modules, present in every CPython 3.10–3.13. */
export const STDLIB_SUBSET = [
  "abc.py",
  "ast.py",
  "base64.py",
  "bisect.py",
  "calendar.py",
  "colorsys.py",
  "contextlib.py",
  "copy.py",
  "csv.py",
  "dataclasses.py",
  "difflib.py",
  "enum.py",
  "fnmatch.py",
  "fractions.py",
  "functools.py",
  "glob.py",
  "gzip.py",
  "heapq.py",
  "hmac.py",
  "inspect.py",
  "ipaddress.py",
  "json/__init__.py",
  "json/decoder.py",
  "json/encoder.py",
  "keyword.py",
  "numbers.py",
  "operator.py",
  "pprint.py",
  "queue.py",
  "random.py",
  "shlex.py",
  "statistics.py",
  "string.py",
  "textwrap.py",
  "tokenize.py",
  "typing.py",
  "uuid.py",
  "asyncio/tasks.py",
  "email/utils.py",
  "collections/__init__.py",
  "unittest/case.py",
  "datetime.py",
  "_pydecimal.py",
];

/** The candidate for function `name` of a Python source text, as the pipeline builds it. */
export async function candidateFrom(src: string, name?: string): Promise<Candidate> {
  const r = extractFunctions(await pythonParser(), src);
  if (!r.parsed) throw new Error(`fixture does not parse: ${r.reason}`);
  const fn = name === undefined ? r.functions[0] : r.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`fixture has no function ${name ?? ""}`);
  return { fn, source: { path: "fixture.py", repo: "fixtures", license: "MIT" }, imports: r.imports };
}

export interface HumanEvalProblem {
  task_id: string;
  prompt: string;
  canonical_solution: string;
  entry_point: string;
}

export function humanEval(): HumanEvalProblem[] {
  const path = join(defaultBenchmarksDir(), "HumanEval.jsonl.gz");
  return gunzipSync(readFileSync(path))
    .toString("utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as HumanEvalProblem);
}

/** Runs the whole seeds pipeline over `inputs` into a JSONL file and returns the funnel and the seeds. */
export async function runIngest(
  inputs: string[],
  opts: { dedupDir: string; typecheck?: boolean; limit?: number; extraBenchmarks?: string[]; methods?: boolean; spreadSeed?: number },
) {
  const out = join(tempDir("out"), "seeds.jsonl");
  const sink = new JsonlSink(out);
  const dedup = DedupState.open(opts.dedupDir, { ...DEFAULT_MINHASH, threshold: 0.5 });
  try {
    const funnel = await ingest({
      parser: await pythonParser(),
      corpus: openCorpus(inputs, { shuffleSeed: opts.spreadSeed }),
      spread: opts.spreadSeed !== undefined,
      decontaminator: new Decontaminator([...seedBenchmarks({}), ...loadBenchmarks(opts.extraBenchmarks ?? [])]),
      dedup,
      sink,
      pyright: opts.typecheck ? DEFAULT_PYRIGHT : null,
      maxLines: 150,
      batchSize: 200,
      limit: opts.limit,
      methods: opts.methods,
      run: { run_id: "test", created_at: new Date().toISOString() },
    });
    await sink.close();
    const text = readFileSync(out, "utf8");
    const seeds =
      text.trim() === ""
        ? []
        : text
            .trim()
            .split("\n")
            .map((l) => Seed.parse(JSON.parse(l)));
    return { funnel, seeds };
  } finally {
    dedup.close();
  }
}
