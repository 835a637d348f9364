import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { sha256Hex } from "../../schemas/common.ts";
import { describeZodError } from "../shared/zod-error.ts";
import { readJsonLines } from "../shared/json-lines.ts";
import type { SourceMeta } from "./candidate.ts";
import { detectLicense } from "./license.ts";

/** One Python source file of a corpus; its bytes are read only when the pipeline gets to it. */
export interface CorpusFile extends SourceMeta {
  read(): Promise<Buffer | string>;
}

export interface Corpus {
  files: AsyncIterable<CorpusFile>;
  /** the number of files, when known up front (folders); dumps are streamed */
  total: number | null;
}

/** Folders no corpus wants: VCS data, caches, installed third-party packages. */
const SKIP_DIRS = new Set(["__pycache__", "site-packages", "node_modules", ".git", ".hg", ".svn", ".tox", ".venv", "venv"]);

/**
 * A corpus from command-line inputs: folders (a checkout, or a folder of checkouts), single `.py`
 * files, and dumps in The Stack's shape (`.jsonl`, `.jsonl.gz`, `.parquet`) with `content`,
 * `path`, `repo` and `license` fields (or The Stack v1's `max_stars_repo_*` names).
 */
export function openCorpus(inputs: readonly string[], opts: { shuffleSeed?: number } = {}): Corpus {
  const local: CorpusFile[] = [];
  const dumps: string[] = [];
  for (const input of inputs) {
    const abs = resolve(input);
    if (!existsSync(abs)) throw new Error(`corpus input ${JSON.stringify(input)} does not exist`);
    const st = statSync(abs);
    if (st.isDirectory()) local.push(...folderFiles(abs));
    else if (/\.(jsonl|jsonl\.gz|parquet)$/.test(abs)) dumps.push(abs);
    else if (abs.endsWith(".py")) local.push(fileEntry(abs, projectOf(dirname(abs))));
    else throw new Error(`corpus input ${JSON.stringify(input)} is neither a folder, a .py file, nor a .jsonl/.jsonl.gz/.parquet dump`);
  }
  // A fixed pseudo-random order (by a hash of the seed and the path): a run that takes only a few
  // seeds samples the whole corpus instead of its alphabetical head, and a resumed run walks the same order.
  const order = (f: CorpusFile) => sha256Hex(`${opts.shuffleSeed}\0${f.repo}\0${f.path}`);
  const files =
    opts.shuffleSeed === undefined
      ? local
      : local
          .map((f) => [order(f), f] as const)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([, f]) => f);
  async function* all(): AsyncIterable<CorpusFile> {
    yield* files;
    for (const d of dumps) yield* d.endsWith(".parquet") ? parquetRows(d) : jsonlRows(d);
  }
  return { files: all(), total: dumps.length === 0 ? local.length : null };
}

interface Project {
  name: string;
  root: string;
  license: string;
}

/**
 * A folder is a project root when it holds `.git` or a licence file: a checkout, or an unpacked
 * source tree such as the standard library (whose LICENSE.txt is PSF's, whatever surrounds it).
 */
function isProjectRoot(dir: string): boolean {
  return existsSync(join(dir, ".git")) || detectLicense(dir) !== "unknown";
}

function project(dir: string): Project {
  return { name: basename(dir), root: dir, license: detectLicense(dir) };
}

/** The project a folder belongs to: its nearest project-root ancestor (or itself), else the folder alone. */
function projectOf(dir: string): Project {
  for (let d = dir; ; d = dirname(d)) {
    if (isProjectRoot(d)) return project(d);
    if (dirname(d) === d) return project(dir);
  }
}

function folderFiles(root: string): CorpusFile[] {
  const out: CorpusFile[] = [];
  const walk = (dir: string, outer: Project): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // a folder of checkouts: each subfolder that is a project root is its own repository
    const here = dir !== root && isProjectRoot(dir) ? project(dir) : outer;
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(p, here);
      } else if (e.isFile() && e.name.endsWith(".py")) {
        out.push(fileEntry(p, here));
      }
    }
  };
  walk(root, projectOf(root));
  return out;
}

function fileEntry(abs: string, p: Project): CorpusFile {
  return { path: relative(p.root, abs), repo: p.name, license: p.license, read: async () => readFileSync(abs) };
}

const DumpRow = z.looseObject({
  content: z.string(),
  path: z.string().optional(),
  max_stars_repo_path: z.string().optional(),
  repo: z.string().optional(),
  max_stars_repo_name: z.string().optional(),
  license: z.string().optional(),
  licenses: z.array(z.string()).optional(),
  max_stars_repo_licenses: z.array(z.string()).optional(),
});

function dumpFile(row: unknown, where: string): CorpusFile {
  const r = DumpRow.safeParse(row);
  if (!r.success) throw new Error(`${where}: ${describeZodError(r.error, row)}`);
  const d = r.data;
  const licenses = d.license ? [d.license] : (d.licenses ?? d.max_stars_repo_licenses ?? []);
  return {
    path: d.path ?? d.max_stars_repo_path ?? where,
    repo: d.repo ?? d.max_stars_repo_name ?? "unknown",
    license: licenses.length > 0 ? licenses.join(" OR ") : "unknown",
    read: async () => d.content,
  };
}

async function* jsonlRows(path: string): AsyncIterable<CorpusFile> {
  for await (const { json, where } of readJsonLines(path)) yield dumpFile(json, where);
}

async function* parquetRows(path: string): AsyncIterable<CorpusFile> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import("hyparquet");
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const total = Number(metadata.num_rows);
  const window = 1000; // rows in memory at once
  for (let start = 0; start < total; start += window) {
    const rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: Math.min(total, start + window) });
    let i = start;
    for (const row of rows) yield dumpFile(row, `${path}#${i++}`);
  }
}
