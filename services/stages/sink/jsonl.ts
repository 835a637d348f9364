import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import type { z } from "zod";
import { describeZodError } from "../../shared/zod-error.ts";

/**
 * Reads a JSON-lines file written by `appendJsonl`. A process killed mid-append leaves a torn last
 * line: it is cut off (the rows in it are re-appended by whoever redoes that work).
 */
export function readJsonl<T>(path: string, schema: z.ZodType<T>): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const end = text.lastIndexOf("\n") + 1;
  if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
  return text
    .slice(0, end)
    .split("\n")
    .filter((l) => l.length > 0)
    .map((line, i) => {
      const r = schema.safeParse(JSON.parse(line));
      if (!r.success) throw new Error(`${path} line ${i + 1}: ${describeZodError(r.error, JSON.parse(line))}`);
      return r.data;
    });
}

/** Appends whole lines and syncs them to disk before returning. */
export function appendJsonl(path: string, rows: unknown[]): void {
  if (rows.length === 0) return;
  const fd = openSync(path, "a");
  try {
    writeSync(fd, rows.map((r) => JSON.stringify(r) + "\n").join(""));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces the file's content atomically. */
export function rewriteJsonl(path: string, rows: unknown[]): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r) + "\n").join(""));
  renameSync(tmp, path);
}
