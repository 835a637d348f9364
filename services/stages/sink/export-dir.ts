import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type CardInput, renderCard } from "./card.ts";
import { ExportRow } from "./export-row.ts";
import { appendJsonl, readJsonl, rewriteJsonl } from "./jsonl.ts";
import { writeParquet } from "./parquet.ts";

const Manifest = z.object({ shards: z.array(z.object({ file: z.string(), rows: z.number().int().nonnegative() })) });
type Manifest = z.infer<typeof Manifest>;

export interface SyncResult {
  appended: number;
  /** True when rows had to be removed or replaced (a retraction or re-selection): every file was rewritten. */
  rewritten: boolean;
}

/**
 * An export directory: train.jsonl (the record of what is exported; appended to), parquet shards
 * under data/ (one per increment, never rewritten), train.parquet (all rows in one file, replaced
 * atomically), README.md (the card), and a manifest of the shards.
 *
 * Crash safety: rows are appended to train.jsonl first, then their shard is written, then the
 * manifest. On open, rows of train.jsonl that no shard covers (a crash in between) get their shard.
 * Rows are identified by instruction id, so redelivered records never duplicate a row.
 */
export class ExportDir {
  private rowsInFile: ExportRow[];
  private manifest: Manifest;

  private constructor(readonly dir: string) {
    mkdirSync(join(dir, "data"), { recursive: true });
    this.rowsInFile = readJsonl(this.path("train.jsonl"), ExportRow);
    const m = this.path(".manifest.json");
    this.manifest = existsSync(m) ? Manifest.parse(JSON.parse(readFileSync(m, "utf8"))) : { shards: [] };
    const covered = this.manifest.shards.reduce((a, s) => a + s.rows, 0);
    if (covered > this.rowsInFile.length) this.rewriteAll();
    else if (covered < this.rowsInFile.length) this.addShard(this.rowsInFile.slice(covered));
    if (!existsSync(this.path("train.parquet"))) writeParquet(this.path("train.parquet"), this.rowsInFile);
    // An export with no row yet still has its three files, so a loader finds an empty split, not nothing.
    if (!existsSync(this.path("train.jsonl"))) appendFileSync(this.path("train.jsonl"), "");
  }

  static open(dir: string): ExportDir {
    return new ExportDir(dir);
  }

  get rows(): readonly ExportRow[] {
    return this.rowsInFile;
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  /** Makes the directory hold exactly `desired` (as `materialize` returns it). */
  sync(desired: ExportRow[]): SyncResult {
    const cur = this.rowsInFile;
    const prefixUnchanged = desired.length >= cur.length && cur.every((r, i) => desired[i].id === r.id);
    if (prefixUnchanged) {
      const added = desired.slice(cur.length);
      if (added.length === 0) return { appended: 0, rewritten: false };
      appendJsonl(this.path("train.jsonl"), added);
      this.rowsInFile = desired;
      this.addShard(added);
      writeParquet(this.path("train.parquet"), desired);
      return { appended: added.length, rewritten: false };
    }
    this.rowsInFile = desired;
    rewriteJsonl(this.path("train.jsonl"), desired);
    this.rewriteAll();
    return { appended: Math.max(0, desired.length - cur.length), rewritten: true };
  }

  writeCard(input: Omit<CardInput, "rows">): void {
    const tmp = this.path("README.md.tmp");
    writeFileSync(tmp, renderCard({ ...input, rows: this.rowsInFile }));
    renameSync(tmp, this.path("README.md"));
  }

  private nextShardName(): string {
    const last = this.manifest.shards.at(-1)?.file;
    const n = last ? Number(/train-(\d+)\.parquet$/.exec(last)?.[1] ?? -1) + 1 : 0;
    return `data/train-${String(n).padStart(5, "0")}.parquet`;
  }

  private addShard(rows: ExportRow[]): void {
    const file = this.nextShardName();
    writeParquet(this.path(file), rows);
    this.saveManifest({ shards: [...this.manifest.shards, { file, rows: rows.length }] });
  }

  /** Replaces every shard by one holding all rows: only after rows were removed or replaced. */
  private rewriteAll(): void {
    const old = this.manifest.shards;
    const file = this.nextShardName();
    writeParquet(this.path(file), this.rowsInFile);
    this.saveManifest({ shards: [{ file, rows: this.rowsInFile.length }] });
    for (const s of old) if (s.file !== file) rmSync(this.path(s.file), { force: true });
    writeParquet(this.path("train.parquet"), this.rowsInFile);
  }

  private saveManifest(m: Manifest): void {
    const tmp = this.path(".manifest.json.tmp");
    writeFileSync(tmp, JSON.stringify(m, null, 2));
    renameSync(tmp, this.path(".manifest.json"));
    this.manifest = m;
  }
}
