import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { describeZodError } from "../shared/zod-error.ts";

export interface PyrightOptions {
  /** the Python version Pyright checks against */
  pythonVersion: string;
  timeoutMs: number;
}

export const DEFAULT_PYRIGHT: PyrightOptions = { pythonVersion: "3.11", timeoutMs: 600_000 };

const Report = z.object({
  generalDiagnostics: z.array(
    z.object({
      file: z.string(),
      severity: z.string(),
      message: z.string(),
      rule: z.string().optional(),
    }),
  ),
  summary: z.object({ filesAnalyzed: z.number(), errorCount: z.number() }),
});

/**
 * Type-checks many standalone snippets in one Pyright run (its start-up, not the snippets,
 * dominates small runs): one file per snippet in a fresh folder, `--outputjson`, and each
 * snippet's error messages back in input order. Warnings do not count, as in the reference.
 */
export async function pyrightErrors(snippets: readonly string[], opts: PyrightOptions = DEFAULT_PYRIGHT): Promise<string[][]> {
  if (snippets.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "sca-pyright-"));
  try {
    const width = String(snippets.length).length;
    const names = snippets.map((_, i) => `seed_${String(i).padStart(width, "0")}.py`);
    snippets.forEach((code, i) => writeFileSync(join(dir, names[i]), code));
    writeFileSync(join(dir, "pyrightconfig.json"), JSON.stringify({ pythonVersion: opts.pythonVersion, typeCheckingMode: "standard" }));
    const stdout = await runPyright(dir, opts.timeoutMs);
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      throw new Error(`pyright printed no JSON report: ${stdout.slice(0, 300)}`);
    }
    const report = Report.safeParse(json);
    if (!report.success) throw new Error(`unexpected pyright report: ${describeZodError(report.error, json)}`);
    const byName = new Map(names.map((n, i) => [n, i]));
    const errors: string[][] = snippets.map(() => []);
    for (const d of report.data.generalDiagnostics) {
      if (d.severity !== "error") continue;
      const i = byName.get(d.file.split("/").pop() ?? "");
      if (i === undefined) continue;
      errors[i].push(d.rule ? `${d.rule}: ${d.message}` : d.message);
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pyrightCli(): string {
  return join(dirname(createRequire(import.meta.url).resolve("pyright/package.json")), "index.js");
}

function runPyright(dir: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pyrightCli(), "--outputjson", "-p", join(dir, "pyrightconfig.json"), dir], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      // 0: no errors, 1: errors found; anything else means Pyright itself failed
      if (code === 0 || code === 1) resolve(Buffer.concat(out).toString("utf8"));
      else
        reject(
          new Error(
            `pyright exited with ${signal ?? code}: ${Buffer.concat(err).toString("utf8").slice(0, 500) || Buffer.concat(out).toString("utf8").slice(0, 500)}`,
          ),
        );
    });
  });
}
