import { z } from "zod";
import type { Dependency } from "../runtime/dependency.ts";
import type { TamperingKind, VerdictStatus } from "../../schemas/records.ts";
import { type Backend, type SupervisedWorker } from "./backends/backend.ts";
import { bwrapUsable, createBwrapBackend } from "./backends/bwrap.ts";
import { createDockerBackend, dockerFromEnv, dockerReachable } from "./backends/docker.ts";
import { createPodBackend } from "./backends/pod.ts";
import { classify, isAnomaly } from "./classify.ts";
import { Limits, type LimitsInput, supervisorLimits } from "./limits.ts";
import { WorkerPool } from "./pool.ts";
import { type Program, programSource } from "./program.ts";
import { SandboxFault } from "./protocol.ts";

/** Where programs run; `pod` only where the pod itself is the boundary (see backends/pod.ts), never by `auto`. */
export const BackendName = z.enum(["auto", "docker", "bwrap", "pod"]);
export type BackendName = z.infer<typeof BackendName>;

export const SandboxOptions = z.object({
  backend: BackendName.default("auto"),
  /** Programs running at once: one warm worker each. */
  concurrency: z.number().int().min(1).max(256).default(2),
  /** Executions a worker serves before it is replaced. */
  maxRunsPerWorker: z.number().int().min(1).default(500),
  /** Docker image (default: $SCA_SANDBOX_IMAGE). */
  image: z.string().min(1).optional(),
  runtime: z.enum(["auto", "runsc", "runc"]).default("auto"),
  /** Default limits of every run; run() may override them per program. */
  limits: Limits.default(Limits.parse({})),
});
export type SandboxOptions = z.input<typeof SandboxOptions>;

export interface ExecResult {
  status: VerdictStatus;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  stdout_tail: string;
  stderr_tail: string;
  /** Bytes the program wrote; the tails keep the last `outputBytes` of each. */
  stdout_bytes: number;
  stderr_bytes: number;
  /** e.g. "docker:runsc", "bwrap", "pod". */
  backend: string;
  /** The warm worker (container or bwrap sandbox) that ran it. */
  worker: string;
  /** Attempts to forge completion the sandbox saw (the audit hook refused them, or a forged marker): never a pass. */
  tampering: TamperingKind[];
  /** Infrastructure failure detail when status is sandbox_error. */
  error?: string;
}

export interface Sandbox {
  readonly backend: string;
  /** Image reference with digest (docker) or the host interpreter (bwrap): for lineage. */
  readonly image: string;
  run(program: Program, limits?: LimitsInput): Promise<ExecResult>;
  /** The engine behind it, probed when a run ends in sandbox_error: down means an outage, not a bad program. */
  readonly dependency: Dependency;
  /** Starts every worker now instead of on first use. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** Slack over a run's own timeout before a silent supervisor is declared dead: gVisor reaping a fork bomb of thousands of processes on a busy 2-core host has taken over 10 s. */
const SUPERVISOR_GRACE_MS = 30_000;

/**
 * Picks the backend: docker when an engine answers and the image is known, else bwrap; never runs
 * without isolation: when neither works, this throws.
 */
export async function createSandbox(input: SandboxOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Sandbox> {
  const opts = SandboxOptions.parse(input);
  const image = opts.image ?? env.SCA_SANDBOX_IMAGE;
  const backend = await pickBackend(opts.backend, image, opts.runtime, env);
  const pool = new WorkerPool<SupervisedWorker>(() => backend.spawn(opts.limits), opts.concurrency, opts.maxRunsPerWorker);
  const inFlight = new Set<Promise<ExecResult>>();

  async function execute(program: Program, limits: Limits): Promise<ExecResult> {
    const base = { backend: backend.name, exit_code: null, signal: null, stdout_tail: "", stderr_tail: "", stdout_bytes: 0, stderr_bytes: 0, tampering: [] };
    let worker: SupervisedWorker;
    try {
      worker = await pool.acquire();
    } catch (e) {
      return { ...base, status: "sandbox_error", duration_ms: 0, worker: "", error: (e as Error).message };
    }
    try {
      const raw = await worker.channel.exec({ code: programSource(program), ...supervisorLimits(limits) }, SUPERVISOR_GRACE_MS);
      worker.runs++;
      pool.release(worker, isAnomaly(raw));
      return {
        ...base,
        status: classify(raw),
        exit_code: raw.exit_code,
        signal: raw.signal,
        duration_ms: raw.duration_ms,
        stdout_tail: raw.stdout,
        stderr_tail: raw.stderr,
        stdout_bytes: raw.stdout_bytes,
        stderr_bytes: raw.stderr_bytes,
        tampering: raw.tampering,
        worker: worker.id,
      };
    } catch (e) {
      pool.release(worker, true);
      return { ...base, status: "sandbox_error", duration_ms: 0, worker: worker.id, error: (e as Error).message };
    }
  }

  return {
    backend: backend.name,
    image: backend.image,
    dependency: {
      name: "sandbox",
      target: backend.name.startsWith("docker")
        ? `the Docker engine at ${env.DOCKER_HOST ?? "unix:///var/run/docker.sock"} (${backend.name})`
        : `the ${backend.name} sandbox`,
      probe: (signal) => backend.ping(signal),
    },
    run(program, limits) {
      const l = limits ? Limits.parse({ ...opts.limits, ...limits }) : opts.limits;
      // Workers' own memory limits were sized at creation: a larger per-run limit would only move the
      // failure from the program's rlimit to the sandbox's OOM killer.
      if (l.memoryMb > opts.limits.memoryMb) {
        return Promise.reject(new RangeError(`sandbox: memoryMb ${l.memoryMb} exceeds the ${opts.limits.memoryMb} MiB the workers were created for`));
      }
      const p = execute(program, l);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      return p;
    },
    warm: () => pool.warm(),
    async close() {
      await Promise.allSettled(inFlight);
      await pool.close();
      await backend.close();
    },
  };
}

async function pickBackend(which: BackendName, image: string | undefined, runtime: "auto" | "runsc" | "runc", env: NodeJS.ProcessEnv): Promise<Backend> {
  const docker = dockerFromEnv(env);
  if (which === "docker" || (which === "auto" && image && (await dockerReachable(docker)))) {
    if (!image) throw new SandboxFault("docker backend: no image (set SCA_SANDBOX_IMAGE or pass image)");
    return createDockerBackend({ image, runtime }, docker);
  }
  if (which === "pod") return createPodBackend();
  if (which === "bwrap" || bwrapUsable()) return createBwrapBackend();
  throw new SandboxFault(
    "no sandbox backend: no Docker engine with a sandbox image, and bubblewrap cannot run here; refusing to run without isolation (in a pod that is itself the boundary, e.g. under gVisor, choose the pod backend)",
  );
}
