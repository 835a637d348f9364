import type { DatasetSample } from "../../schemas/records.ts";
import { toRow } from "../../services/stages/selector/row.ts";
import { verdict } from "../selector/fixtures.ts";

/** A dataset record for sample `i` of the named instruction, as the selector would emit it. */
export function sample(name: string, i = 0, opts: { instruction?: string; retracted?: boolean } = {}): DatasetSample {
  const row = { ...toRow(verdict(name, i, 4, "pass", opts), "pass-random", new Date("2026-01-01T00:00:00Z")), n_passed: 1 };
  return opts.retracted ? { ...row, retracted: true } : row;
}
