import type { DlqEnvelope } from "../../schemas/records.ts";

/**
 * Thrown by a stage for input that will never succeed (unparsable LLM output, invalid record):
 * the runner sends it to the DLQ at once instead of retrying. Any other error counts as transient.
 */
export class PoisonError extends Error {
  constructor(
    message: string,
    readonly reason: DlqEnvelope["reason"] = "poison",
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "PoisonError";
  }
}

export function isPoison(e: unknown): e is PoisonError {
  return e instanceof PoisonError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
