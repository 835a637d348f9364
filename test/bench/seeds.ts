/**
 * `npm run bench -- seeds [--files N] [--no-pyright]`: functions per second on the local Python's
 * standard library (the first N files in path order, all by default) through extraction alone,
 * through the whole filter chain without Pyright, and through it with Pyright (1000 functions per
 * run). Each chain run starts from an empty dedup state, so all of them do the same work.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { seedBenchmarks } from "../../services/decontam/benchmarks.ts";
import { Decontaminator } from "../../services/decontam/matcher.ts";
import { type Corpus, openCorpus } from "../../services/seeds/corpus.ts";
import { DedupState } from "../../services/seeds/dedup-state.ts";
import { extractFunctions } from "../../services/seeds/extract.ts";
import type { Funnel } from "../../services/seeds/funnel.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { DEFAULT_MINHASH } from "../../services/minhash/minhash.ts";
import { ingest } from "../../services/seeds/pipeline.ts";
import { DEFAULT_PYRIGHT } from "../../services/seeds/pyright.ts";
import type { SeedSink } from "../../services/seeds/sinks.ts";
import { pythonStdlibDir } from "../../services/seeds/stdlib.ts";

interface Row {
  step: string;
  files: number;
  functions: number;
  seeds: number | null;
  seconds: number;
  functions_per_s: number;
}

/** Counts seeds and keeps nothing: the bench measures mining, not writing. */
class CountingSink implements SeedSink {
  count = 0;
  async write(): Promise<void> {
    this.count++;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

export async function run(args: string[]): Promise<{ table: string; data: unknown }> {
  const filesArg = args.indexOf("--files");
  const maxFiles = filesArg >= 0 ? Number(args[filesArg + 1]) : Infinity;
  if (!(maxFiles > 0)) throw new Error(`--files wants a positive number (got ${JSON.stringify(args[filesArg + 1])})`);
  const withPyright = !args.includes("--no-pyright");
  const stdlib = pythonStdlibDir();
  const all: Corpus = openCorpus([stdlib]);
  const files: Array<{ path: string; repo: string; license: string; bytes: Buffer }> = [];
  for await (const f of all.files) {
    if (files.length >= maxFiles) break;
    files.push({ path: f.path, repo: f.repo, license: f.license, bytes: (await f.read()) as Buffer });
  }
  const corpus = (): Corpus => ({
    total: files.length,
    files: (async function* () {
      for (const f of files) yield { path: f.path, repo: f.repo, license: f.license, read: async () => f.bytes };
    })(),
  });
  const parser = await pythonParser();
  const load = loadavg()[0];
  const rows: Row[] = [];

  // extraction alone: parsing every (UTF-8) file, finding every function, after a warm-up pass so
  // that the WebAssembly parser runs optimised code, as it does after the first files of an ingest
  {
    const texts = files.flatMap((f) => {
      try {
        return [new TextDecoder("utf-8", { fatal: true }).decode(f.bytes)];
      } catch {
        return [];
      }
    });
    for (const t of texts.slice(0, 100)) extractFunctions(parser, t);
    const t0 = performance.now();
    let functions = 0;
    for (const t of texts) {
      const r = extractFunctions(parser, t);
      if (r.parsed) functions += r.functions.length;
    }
    const s = (performance.now() - t0) / 1000;
    rows.push({ step: "extraction", files: files.length, functions, seeds: null, seconds: s, functions_per_s: functions / s });
  }

  const decontaminator = new Decontaminator(seedBenchmarks({}));
  const chain = async (step: string, pyright: boolean): Promise<Funnel> => {
    const dir = mkdtempSync(join(tmpdir(), "sca-bench-seeds-"));
    const dedup = DedupState.open(dir, { ...DEFAULT_MINHASH, threshold: 0.5 });
    const sink = new CountingSink();
    try {
      const t0 = performance.now();
      const funnel = await ingest({
        parser,
        corpus: corpus(),
        decontaminator,
        dedup,
        sink,
        pyright: pyright ? DEFAULT_PYRIGHT : null,
        maxLines: 150,
        batchSize: 1000,
        run: { run_id: "bench", created_at: new Date().toISOString() },
      });
      const s = (performance.now() - t0) / 1000;
      rows.push({ step, files: funnel.files, functions: funnel.functions, seeds: funnel.seeds, seconds: s, functions_per_s: funnel.functions / s });
      return funnel;
    } finally {
      dedup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const plain = await chain("whole chain, no Pyright", false);
  const checked = withPyright ? await chain("whole chain, with Pyright", true) : null;

  const head = "| step | files | functions | seeds | seconds | functions/s |\n|---|---:|---:|---:|---:|---:|";
  const body = rows
    .map((r) => `| ${r.step} | ${r.files} | ${r.functions} | ${r.seeds ?? ""} | ${r.seconds.toFixed(1)} | ${Math.round(r.functions_per_s)} |`)
    .join("\n");
  const note = `Corpus: ${stdlib} (${files.length} files). Load average at start: ${load.toFixed(1)} on this machine's cores.`;
  const funnelTable = (checked ?? plain).table();
  return {
    table: `${head}\n${body}\n\n${note}\n\nFunnel (${checked ? "with" : "without"} Pyright):\n\n\`\`\`\n${funnelTable}\n\`\`\``,
    data: { corpus: stdlib, files: files.length, load_average: load, rows, funnel: (checked ?? plain).toJSON(), funnel_without_pyright: plain.toJSON() },
  };
}
