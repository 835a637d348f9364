import { readFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import type { Worker } from "../pool.ts";
import { SandboxFault, type SupervisorChannel } from "../protocol.ts";
import type { Limits } from "../limits.ts";

/** The supervisor's source, handed to `python3 -I -c` in every sandbox. */
export const SUPERVISOR_SOURCE = readFileSync(new URL("../supervisor.py", import.meta.url), "utf8");

export interface SupervisedWorker extends Worker {
  readonly channel: SupervisorChannel;
}

/** Where programs run: something that starts isolated, warm supervisors. */
export interface Backend {
  /** e.g. "docker:runsc", "docker:runc", "bwrap". */
  readonly name: string;
  /** What a verdict's lineage records as the environment the code ran in. */
  readonly image: string;
  /** Starts one supervisor sized for programs under `limits`; resolves once it is ready. */
  spawn(limits: Limits): Promise<SupervisedWorker>;
  /** Resolves when the backend could start workers now (Docker: the engine answers); rejects saying why not. */
  ping(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * Each worker's programs run under a uid of their own. Random rather than counted so that pools in
 * different processes on one host rarely share one (RLIMIT_NPROC counts per uid).
 */
export function programUid(): number {
  return randomInt(20_000, 60_000);
}

/** Room for the supervisor itself (and gVisor's own memory) above what one program may use. */
export const SUPERVISOR_MEMORY_MB = 256;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new SandboxFault(`${what} within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
