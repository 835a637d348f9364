import { renameSync, writeFileSync } from "node:fs";
import type { SchemaElement } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { ExportRow } from "./export-row.ts";

type Leaf = "string" | "int";
const COLUMNS: Array<[keyof ExportRow, Leaf | "string-list"]> = [
  ["id", "string"],
  ["instruction_id", "string"],
  ["response_id", "string"],
  ["instruction", "string"],
  ["response", "string"],
  ["tests", "string"],
  ["seed_id", "string"],
  ["seed", "string"],
  ["seed_path", "string"],
  ["seed_repo", "string"],
  ["seed_license", "string"],
  ["concepts", "string-list"],
  ["category", "string"],
  ["difficulty", "string"],
  ["model", "string"],
  ["prompt_hash", "string"],
  ["selection_policy", "string"],
  ["n_samples", "int"],
  ["n_passed", "int"],
  ["sandbox_image", "string"],
  ["run_id", "string"],
  ["created_at", "string"],
];

const leaf = (name: string, t: Leaf): SchemaElement =>
  t === "string" ? { name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" } : { name, type: "INT32", repetition_type: "REQUIRED" };

/** An explicit schema so an empty shard still has typed columns, and concepts is a real list<string>. */
function schema(): SchemaElement[] {
  const out: SchemaElement[] = [{ name: "root", num_children: COLUMNS.length }];
  for (const [name, t] of COLUMNS) {
    if (t === "string-list") {
      out.push({ name, repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 });
      out.push({ name: "list", repetition_type: "REPEATED", num_children: 1 });
      out.push(leaf("element", "string"));
    } else out.push(leaf(name, t));
  }
  return out;
}

/** Writes the rows as one parquet file, atomically (temp file then rename): readers never see half a file. */
export function writeParquet(path: string, rows: ExportRow[]): void {
  const buf = parquetWriteBuffer({
    columnData: COLUMNS.map(([name]) => ({ name, data: rows.map((r) => r[name]) })),
    schema: schema(),
    kvMetadata: [{ key: "selfcodealign-stream.rows", value: String(rows.length) }],
  });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, Buffer.from(buf));
  renameSync(tmp, path);
}
