import { z } from "zod";
import { BackendName, type SandboxOptions } from "../../sandbox/index.ts";

const int = (name: string) => z.string().regex(/^\d+$/, `${name} must be a whole number`).transform(Number).optional();

/** The verdicts service's sandbox settings, from the environment. */
export const VerdictsEnv = z.object({
  SCA_SANDBOX_BACKEND: BackendName.default("auto"),
  SCA_SANDBOX_RUNTIME: z.enum(["auto", "runsc", "runc"]).default("auto"),
  SCA_SANDBOX_IMAGE: z.string().min(1).optional(),
  SCA_SANDBOX_CONCURRENCY: int("SCA_SANDBOX_CONCURRENCY"),
  SCA_SANDBOX_MAX_RUNS: int("SCA_SANDBOX_MAX_RUNS"),
  SCA_SANDBOX_TIMEOUT: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "SCA_SANDBOX_TIMEOUT must be seconds, e.g. 10 or 2.5")
    .transform(Number)
    .optional(),
  SCA_SANDBOX_MEMORY_MB: int("SCA_SANDBOX_MEMORY_MB"),
});

export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv): SandboxOptions {
  const parsed = VerdictsEnv.safeParse(env);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const key = String(i.path[0]);
    throw new Error(`verdicts: ${key}=${JSON.stringify(env[key])}: ${i.message}`);
  }
  const e = parsed.data;
  return {
    backend: e.SCA_SANDBOX_BACKEND,
    runtime: e.SCA_SANDBOX_RUNTIME,
    image: e.SCA_SANDBOX_IMAGE,
    concurrency: e.SCA_SANDBOX_CONCURRENCY,
    maxRunsPerWorker: e.SCA_SANDBOX_MAX_RUNS,
    limits: { timeoutSeconds: e.SCA_SANDBOX_TIMEOUT, memoryMb: e.SCA_SANDBOX_MEMORY_MB },
  };
}
