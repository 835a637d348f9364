/**
 * Something a stage needs that lives outside the record: the LLM server, the sandbox engine, the
 * schema registry. When it is away, the records that needed it are not at fault: the runner holds
 * them and waits for the dependency instead of spending their attempts.
 */
export interface Dependency {
  /** Label value of `sca_dependency_up{dependency}`: "llm", "sandbox", "registry". */
  readonly name: string;
  /** Where it is, for people: "the LLM server at http://gpu-box:8000/v1". */
  readonly target: string;
  /** Resolves when the dependency answers as it should; rejects (with what is wrong) when not. */
  probe(signal: AbortSignal): Promise<void>;
}

/**
 * Thrown by the code that talks to a dependency (LLM client, sandbox, registry codec) when the
 * failure is the dependency's, not the record's: connection refused or reset, DNS failure, a
 * timeout, a 5xx/429, a dead Docker socket, a worker that cannot start.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: Dependency,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DependencyUnavailableError";
  }
}

export function isDependencyUnavailable(e: unknown): e is DependencyUnavailableError {
  return e instanceof DependencyUnavailableError;
}

/** "1m20s", "45s", "2h3m": how long something has been down, for progress lines and /readyz. */
export function formatDowntime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
