/** Paths and tools the deployment tests share. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const cache = process.env.SCA_CACHE ?? join(homedir(), ".cache", "selfcodealign-stream");
/** Unpacked by test/infra/install-prometheus.sh. */
export const PROMETHEUS_BIN = join(cache, "prometheus", "usr", "bin", "prometheus");
export const PROMTOOL_BIN = join(cache, "prometheus", "usr", "bin", "promtool");

/** Runs a tool; a non-zero exit throws with its stderr, so the test fails saying why. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      input: opts.input,
      env: opts.env ?? process.env,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.stderr || err.stdout || err.message}`);
  }
}

/** A loopback port free right now, for a server a test starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** `kubectl kustomize DIR`, or kustomize itself where kubectl is missing (test/infra/install-kustomize.sh). */
export function kustomize(dir: string): string {
  try {
    return run("kubectl", ["kustomize", dir]);
  } catch (e) {
    const own = join(cache, "bin", "kustomize");
    if (!/ENOENT/.test((e as Error).message) || !existsSync(own)) throw e;
    return run(own, ["build", dir]);
  }
}

/** Every .ts file under services/ (or another top-level folder), as [relative path, text]. */
export function serviceSources(root = "services"): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts")) out.push([relative(ROOT, p), readFileSync(p, "utf8")]);
    }
  };
  walk(join(ROOT, root));
  return out;
}

/**
 * Environment variable names the code reads: every token of the project's prefixes in services/,
 * whether a string literal, a zod object key or `env.NAME`.
 */
export function envVarsReadByCode(): Set<string> {
  const names = new Set<string>();
  for (const [, text] of serviceSources()) {
    for (const m of text.matchAll(/\b(?:(?:SCA|LLM|KAFKA|SCHEMA_REGISTRY)_[A-Z0-9_]*[A-Z0-9]|LOG_LEVEL)\b/g)) names.add(m[0]);
  }
  // constants of the same shape (LLM_STAGES, declared beside the stage graph in schemas/) are code, not settings
  for (const [, text] of [...serviceSources(), ...serviceSources("schemas")]) {
    for (const m of text.matchAll(/\b(?:const|let|var|function|class|type|interface|enum)\s+([A-Z][A-Z0-9_]+)\b/g)) names.delete(m[1]);
  }
  return names;
}
