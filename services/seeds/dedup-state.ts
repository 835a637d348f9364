import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { describeZodError } from "../shared/zod-error.ts";
import { LshIndex } from "../minhash/lsh.ts";
import { decodeSignature, encodeSignature } from "../minhash/minhash.ts";
import { isAlive } from "../shared/pid.ts";

const Meta = z.object({ numPerm: z.number().int().positive(), ngram: z.number().int().positive(), threshold: z.number().gt(0).lte(1) });
export type DedupParams = z.infer<typeof Meta>;

const Entry = z.object({ id: z.string().min(1), sig: z.string().min(1) });

/**
 * What earlier ingests emitted, kept on disk so every run deduplicates against all runs before it:
 * the seed ids (exact duplicates) and their MinHash signatures (near-duplicates). One folder,
 * `meta.json` with the MinHash parameters (signatures made with others are not comparable) and
 * `seeds.jsonl`, append-only, one `{id, sig}` line per emitted seed. A `lock` file with the
 * owner's pid keeps two ingests from interleaving.
 */
export class DedupState {
  private readonly ids = new Set<string>();
  private pending: string[] = [];

  private constructor(
    private readonly dir: string,
    readonly params: DedupParams,
    readonly index: LshIndex,
  ) {}

  static open(dir: string, params: DedupParams): DedupState {
    mkdirSync(dir, { recursive: true });
    takeLock(join(dir, "lock"));
    const metaPath = join(dir, "meta.json");
    if (existsSync(metaPath)) {
      const raw: unknown = JSON.parse(readFileSync(metaPath, "utf8"));
      const meta = Meta.safeParse(raw);
      if (!meta.success) throw new Error(`${metaPath}: ${describeZodError(meta.error, raw)}`);
      for (const k of ["numPerm", "ngram", "threshold"] as const) {
        if (meta.data[k] !== params[k]) {
          throw new Error(
            `${metaPath}: the dedup state was built with ${k}=${meta.data[k]}, this run uses ${params[k]}; signatures are not comparable (use another --dedup-dir)`,
          );
        }
      }
    } else {
      writeFileSync(metaPath, JSON.stringify(params) + "\n");
    }
    const state = new DedupState(dir, params, new LshIndex(params.threshold, params.numPerm));
    const seedsPath = join(dir, "seeds.jsonl");
    if (existsSync(seedsPath)) {
      const lines = readFileSync(seedsPath, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (line.trim() === "") return;
        let entry: z.infer<typeof Entry>;
        try {
          entry = Entry.parse(JSON.parse(line));
        } catch (e) {
          // a crash can tear only the last line; anything earlier is corruption worth stopping for
          if (i >= lines.length - 2) return;
          throw new Error(`${seedsPath}:${i + 1}: unreadable dedup entry (${(e as Error).message})`);
        }
        state.ids.add(entry.id);
        state.index.add(entry.id, decodeSignature(entry.sig));
      });
    }
    return state;
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  nearDuplicate(sig: Uint32Array): { id: string; jaccard: number } | null {
    return this.index.nearest(sig);
  }

  /** Remembers an emitted seed now (for the rest of this run) and on disk at the next flush. */
  add(id: string, sig: Uint32Array): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.index.add(id, sig);
    this.pending.push(JSON.stringify({ id, sig: encodeSignature(sig) }));
  }

  /** Call once the seeds added so far are durably emitted: a crash before it re-emits them with the same ids. */
  flush(): void {
    if (this.pending.length === 0) return;
    const fd = openSync(join(this.dir, "seeds.jsonl"), "a");
    try {
      writeSync(fd, this.pending.join("\n") + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.pending = [];
  }

  close(): void {
    this.flush();
    try {
      unlinkSync(join(this.dir, "lock"));
    } catch {
      // already gone: nothing to release
    }
  }
}

function takeLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new Error(`${path}: another ingest (pid ${owner}) is using this dedup state`);
      }
      unlinkSync(path); // left behind by a process that died
    }
  }
  throw new Error(`${path}: could not take the dedup lock`);
}
