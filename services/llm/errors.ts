import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ErrorKind } from "./metrics.ts";

/** A failed LLM call after the client's own retries, or one that retrying cannot fix. */
export class LlmError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "LlmError";
  }

  /** Worth another attempt: the server or the network may do better next time. */
  get retryable(): boolean {
    return this.kind !== "bad_request" && this.kind !== "other";
  }

  /** The server, not the request, is the problem (unreachable, failing, overloaded): an outage, not a bad record. */
  get unavailable(): boolean {
    return this.kind === "connection" || this.kind === "timeout" || this.kind === "server_error" || this.kind === "rate_limited";
  }

  /** A sign the server is saturated: the concurrency limit should shrink. */
  get overload(): boolean {
    return this.kind === "rate_limited" || this.kind === "server_error" || this.kind === "timeout";
  }
}

/** Maps whatever the SDK or fetch threw to a kind; `timedOut` says our own deadline fired. */
export function classify(e: unknown, timedOut: boolean): LlmError {
  if (e instanceof LlmError) return e;
  if (timedOut || e instanceof APIConnectionTimeoutError) return new LlmError("timeout", "LLM request timed out");
  if (e instanceof APIUserAbortError) return new LlmError("other", "LLM request aborted");
  if (e instanceof APIConnectionError) return new LlmError("connection", `cannot reach the LLM server: ${causeOf(e)}`);
  if (e instanceof APIError) {
    const s = e.status ?? 0;
    const msg = `LLM server answered ${s}: ${e.message}`;
    if (s === 429) return new LlmError("rate_limited", msg, s);
    if (s === 408) return new LlmError("timeout", msg, s);
    if (s >= 500) return new LlmError("server_error", msg, s);
    // The request itself is wrong (prompt too long, bad parameter): resending cannot help.
    if (s === 400 || s === 413 || s === 422) return new LlmError("bad_request", msg, s);
    return new LlmError("other", msg, s);
  }
  if (e instanceof SyntaxError) return new LlmError("invalid_response", `LLM server sent a body that is not JSON: ${e.message}`);
  return new LlmError("other", e instanceof Error ? e.message : String(e));
}

function causeOf(e: Error): string {
  const c = (e as { cause?: unknown }).cause;
  return c instanceof Error ? `${e.message} (${c.message})` : e.message;
}
