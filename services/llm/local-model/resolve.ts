import { existsSync, statSync } from "node:fs";
import { installModel, isInstalled } from "./install.ts";
import { defaultModelPath, GEMMA_270M, type ModelSpec } from "./model-file.ts";

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Fetch the model when it is missing (a newcomer's first `sca run`); tests pass false and fail instead. */
  install: boolean;
  spec?: ModelSpec;
  log?: (line: string) => void;
}

/**
 * Finds the GGUF to serve: SCA_MODEL_PATH when set (any GGUF the user brings), else the shipped model
 * in the cache, installing it on demand.
 */
export async function resolveModelPath(opts: ResolveOptions): Promise<string> {
  const env = opts.env ?? process.env;
  const explicit = env.SCA_MODEL_PATH;
  if (explicit) {
    if (!existsSync(explicit) || !statSync(explicit).isFile()) throw new Error(`SCA_MODEL_PATH: no GGUF file at ${JSON.stringify(explicit)}`);
    return explicit;
  }
  const spec = opts.spec ?? GEMMA_270M;
  const path = defaultModelPath(spec, env);
  if (isInstalled(path, spec)) return path;
  if (!opts.install) {
    throw new Error(`model ${spec.id} is not installed at ${path}: run \`sca model install\` (or bash test/infra/install-model.sh)`);
  }
  return installModel({ target: path, spec, env, log: opts.log });
}
