import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** The venv test/infra/install-datasets.sh builds; missing means the install step was skipped: fail, do not skip. */
export function datasetsPython(): string {
  const py = join(process.env.SCA_CACHE ?? join(homedir(), ".cache", "selfcodealign-stream"), "venv-datasets", "bin", "python");
  if (!existsSync(py)) throw new Error(`${py} not found: run \`bash test/infra/install.sh\` (install-datasets.sh) first`);
  return py;
}

/** Runs a Python snippet with the export dir as argv[1] and returns its stdout parsed as JSON. */
export function runPython(script: string, dir: string): unknown {
  // A private HF cache: a shared one would serve a previous test's dataset for the same path.
  const hfHome = mkdtempSync(join(tmpdir(), "sca-hf-"));
  try {
    const out = execFileSync(datasetsPython(), ["-c", script, dir], {
      encoding: "utf8",
      env: { ...process.env, HF_DATASETS_OFFLINE: "1", HF_HUB_OFFLINE: "1", HF_HOME: hfHome },
    });
    return JSON.parse(out.trim().split("\n").at(-1)!);
  } finally {
    rmSync(hfHome, { recursive: true, force: true });
  }
}
