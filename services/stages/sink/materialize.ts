import type { DatasetSample } from "../../../schemas/records.ts";
import { type ExportRow, toExportRow } from "./export-row.ts";

/**
 * The dataset as it should be: the rows already exported, then the `dataset` records in log order
 * (a record replaces its instruction's row; a retraction removes it). Deduplication happened
 * upstream, in curation. Unchanged rows keep their place; new rows come last.
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
  return [...rows.values()];
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
