import type { VerdictStatus } from "../../schemas/records.ts";
import type { RawResult } from "./protocol.ts";

/** The supervisor's child exits with this when it could not set itself up: our failure, not the program's. */
export const SETUP_FAILED_EXIT = 121;

const MEMORY_TEXT = /\bMemoryError\b|Cannot allocate memory|out of memory|std::bad_alloc/;

/**
 * Maps raw execution facts to a verdict. Only a run whose completion marker (the per-run nonce,
 * written after the tests returned) came back, that exited 0 and that tried no forgery is a pass.
 */
export function classify(r: RawResult): VerdictStatus {
  if (r.timed_out || r.signal === "SIGXCPU") return "timeout";
  if (r.exception === "MemoryError" || r.oom_killed) return "memory";
  if (r.too_many_processes) return "crash";
  if (r.signal !== null) return MEMORY_TEXT.test(r.stderr) ? "memory" : "crash";
  // A program that tried to forge its completion never passes, even when it also ran to the end, nor
  // passes for our own setup failure (that would be retried).
  if (r.tampering.length > 0) return "fail";
  if (r.exit_code === SETUP_FAILED_EXIT && !r.completed && r.exception === null && r.stdout_bytes + r.stderr_bytes === 0) {
    return "sandbox_error";
  }
  if (r.completed && r.exit_code === 0) return "pass";
  return "fail";
}

/** Whether the worker that produced this result must be replaced before it runs anything else. */
export function isAnomaly(r: RawResult): boolean {
  return !r.clean || r.oom_killed;
}
