import { contentId, SCHEMA_VERSION } from "../../schemas/common.ts";
import type { Response, Verdict, VerdictStatus } from "../../schemas/records.ts";

const lineage = (extra: Record<string, unknown> = {}) => ({ run_id: "test", schema_version: SCHEMA_VERSION, created_at: "2026-01-01T00:00:00.000Z", ...extra });

export function instructionId(name: string): string {
  return contentId({ parent: name, stage: "instructions" });
}

/** A verdict for sample `i` of `n` of the named instruction, with a response whose text names the sample. */
export function verdict(name: string, i: number, n: number, status: VerdictStatus, opts: { instruction?: string; round?: number } = {}): Verdict {
  const instruction_id = instructionId(name);
  const response_id = contentId({ parent: instruction_id, stage: "responses", sample: i });
  const seedId = contentId({ parent: name, stage: "seeds" });
  const response: Response = {
    id: response_id,
    instruction_id,
    sample_index: i,
    n_samples: n,
    instruction: opts.instruction ?? `Write a function for task ${name}.`,
    seed: { seed_id: seedId, seed: `def ${name}(x):\n    return x\n`, path: `${name}.py`, repo: "stdlib", license: "PSF-2.0" },
    concepts: ["recursion"],
    category: "function implementation",
    difficulty: "easy",
    response: `response ${i} of ${name}`,
    code: `def f():\n    return ${i}\n`,
    tests: `assert f() == ${i}\n`,
    raw: "",
    finish_reason: "stop",
    lineage: lineage({ model: "scripted", prompt_hash: "ph" }),
  };
  return {
    // As the verdicts stage does: the id depends on the image, not on when (or with which limits) it ran.
    id: contentId({ parent: response_id, stage: "verdicts", params: { image: "img" } }),
    instruction_id,
    response_id,
    sample_index: i,
    n_samples: n,
    status,
    exit_code: status === "pass" ? 0 : 1,
    signal: null,
    duration_ms: 10,
    stdout_tail: "",
    stderr_tail: "",
    backend: "test",
    response,
    lineage: lineage({ sandbox_image: "img", created_at: new Date(Date.UTC(2026, 0, 1, 0, opts.round ?? 0)).toISOString() }),
  };
}
