import { contentId, type Lineage, SCHEMA_VERSION, sha256Hex } from "../../schemas/common.ts";
import type { Seed } from "../../schemas/records.ts";
import { standaloneOf, type Candidate } from "./candidate.ts";

/**
 * A seed's id hashes its standalone code (what later stages see), not where it was found: the
 * same function in two repositories, or in two runs, is one seed.
 */
export function seedId(standalone: string): string {
  return contentId({ parent: sha256Hex(standalone), stage: "seed" });
}

export interface RunInfo {
  run_id: string;
  created_at: string;
}

export function toSeed(c: Candidate, run: RunInfo): Seed {
  const s = standaloneOf(c, "seed record");
  const lineage: Lineage = { run_id: run.run_id, schema_version: SCHEMA_VERSION, created_at: run.created_at };
  return {
    id: c.id ?? seedId(s.code),
    code: c.fn.code,
    standalone: s.code,
    name: c.fn.name,
    path: c.source.path,
    start_line: c.fn.start_line,
    end_line: c.fn.end_line,
    repo: c.source.repo,
    license: c.source.license,
    lineage,
  };
}
