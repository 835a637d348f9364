import { execFileSync } from "node:child_process";

/**
 * The standard library folder of the local Python (`$SCA_PYTHON`, else `python3` on PATH): the
 * default corpus, real code present wherever Python is.
 */
export function pythonStdlibDir(env: NodeJS.ProcessEnv = process.env): string {
  const python = env.SCA_PYTHON || "python3";
  try {
    return execFileSync(python, ["-c", 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'], { encoding: "utf8", timeout: 60_000 }).trim();
  } catch (e) {
    throw new Error(
      `no corpus given and the default (the Python standard library) needs a Python interpreter: running ${python} failed: ${(e as Error).message}`,
    );
  }
}
