import { contentId, SCHEMA_VERSION } from "../../../schemas/common.ts";
import type { Response, Verdict } from "../../../schemas/records.ts";
import type { ExecResult, Sandbox } from "../../sandbox/index.ts";
import { programFromResponse } from "../../sandbox/index.ts";

/** What of the sandbox shapes a verdict: the same response judged in the same image gets the same id. */
export type Judge = Pick<Sandbox, "run" | "backend" | "image">;

/** The Verdict record of one execution of a response's program (pure). */
export function verdictOf(response: Response, exec: ExecResult, sandbox: Pick<Sandbox, "backend" | "image">, now: Date): Verdict {
  return {
    id: contentId({ parent: response.id, stage: "verdicts", params: { image: sandbox.image } }),
    instruction_id: response.instruction_id,
    response_id: response.id,
    sample_index: response.sample_index,
    n_samples: response.n_samples,
    status: exec.status,
    exit_code: exec.exit_code,
    signal: exec.signal,
    duration_ms: exec.duration_ms,
    stdout_tail: exec.stdout_tail,
    stderr_tail: exec.stderr_tail,
    backend: exec.backend,
    tampering: exec.tampering,
    response,
    lineage: { ...response.lineage, schema_version: SCHEMA_VERSION, created_at: now.toISOString(), sandbox_image: sandbox.image },
  };
}

/** Runs a response's program (assembled as the reference does) and returns its verdict. */
export async function judge(response: Response, sandbox: Judge, now: () => Date = () => new Date()): Promise<Verdict> {
  const exec = await sandbox.run(programFromResponse(response));
  return verdictOf(response, exec, sandbox, now());
}
