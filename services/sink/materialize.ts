import type { DatasetSample } from "../../schemas/records.ts";
import { instructionDedupKey } from "../selector/dedup-key.ts";
import { type ExportRow, toExportRow } from "./export-row.ts";

/**
 * The dataset as it should be: the rows already exported, then the `dataset` records in log order
 * (a record replaces its instruction's row; a retraction removes it). Then the reference's exact-match
 * dedup on the instruction with all whitespace removed, keeping the smallest instruction id of each
 * group: the dataset topic is partitioned, so arrival order differs between runs, and this keeps the
 * result the same whatever the order. Unchanged rows keep their place; new rows come last.
 */
export function materialize(current: ExportRow[], records: DatasetSample[]): ExportRow[] {
  const rows = new Map(current.map((r) => [r.instruction_id, r]));
  for (const rec of records) {
    if (rec.retracted) {
      if (rows.get(rec.instruction_id)?.id === rec.id) rows.delete(rec.instruction_id);
    } else if (rows.get(rec.instruction_id)?.id !== rec.id) {
      rows.set(rec.instruction_id, toExportRow(rec));
    }
  }
  const keeper = new Map<string, string>();
  for (const r of rows.values()) {
    const k = instructionDedupKey(r.instruction);
    const held = keeper.get(k);
    if (held === undefined || r.instruction_id < held) keeper.set(k, r.instruction_id);
  }
  return [...rows.values()].filter((r) => keeper.get(instructionDedupKey(r.instruction)) === r.instruction_id);
}

/** The last record per instruction: what a compacted `dataset` topic converges to. */
export function compact(records: DatasetSample[]): DatasetSample[] {
  const last = new Map<string, DatasetSample>();
  for (const r of records) {
    last.delete(r.instruction_id);
    last.set(r.instruction_id, r);
  }
  return [...last.values()];
}
