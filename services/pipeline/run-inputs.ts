import { existsSync, statSync } from "node:fs";
import { openCorpus } from "../seeds/corpus.ts";
import type { RunOptions } from "./run-options.ts";
import { readSeedFile } from "./seed-file.ts";

/**
 * Refuses inputs a run could only fail on, before anything is created or loaded (the model, the
 * state folder, the export): a server without a model name, a corpus without Python files, an empty or unreadable seeds file, an
 * export or state path that is a file. Throws with the flag and the value.
 */
export async function checkRunInputs(
  o: Pick<RunOptions, "corpus" | "seeds" | "out" | "state" | "llmBaseUrl" | "llmModel">,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if ((o.llmBaseUrl || env.LLM_BASE_URL) && !(o.llmModel || env.LLM_MODEL)) {
    throw new Error("--llm-base-url needs --llm-model NAME, the model that server serves (or set LLM_MODEL)");
  }
  for (const [flag, path] of [
    ["--out", o.out],
    ["--state", o.state],
  ] as const) {
    if (existsSync(path) && !statSync(path).isDirectory())
      throw new Error(`${flag} ${JSON.stringify(path)} is a file, not a folder: choose a folder (it is created when missing)`);
  }
  if (o.corpus.length > 0) {
    const corpus = openCorpus(o.corpus);
    if (corpus.total === 0)
      throw new Error(
        `corpus ${o.corpus.map((p) => JSON.stringify(p)).join(", ")} holds no Python (.py) file: give a folder of Python sources, .py files or a .jsonl/.parquet dump`,
      );
    for (const p of o.corpus) if (statSync(p).isFile() && statSync(p).size === 0) throw new Error(`corpus file ${JSON.stringify(p)} is empty`);
  }
  if (o.seeds) {
    if (!existsSync(o.seeds) || !statSync(o.seeds).isFile()) throw new Error(`--seeds ${JSON.stringify(o.seeds)}: no such file`);
    // Reads (and validates) the first record only: enough to know the run has something to do.
    let first = false;
    for await (const _ of readSeedFile(o.seeds)) {
      first = true;
      break;
    }
    if (!first) throw new Error(`--seeds ${JSON.stringify(o.seeds)} holds no seed record: write one JSON seed per line (as \`sca ingest --output\` does)`);
  }
}
