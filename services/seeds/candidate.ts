import type { ExtractedFunction } from "./extract.ts";
import type { FileImports } from "./file-imports.ts";
import type { Standalone } from "./standalone.ts";

/** Where a source file came from: what every seed cut from it carries. */
export interface SourceMeta {
  path: string;
  repo: string;
  license: string;
}

/** A function on its way through the filter chain; later filters read what earlier ones found. */
export interface Candidate {
  fn: ExtractedFunction;
  source: SourceMeta;
  imports: FileImports;
  /** set by the `standalone` filter */
  standalone?: Standalone;
  /** set by the `exact_dedup` filter: the seed id */
  id?: string;
  /** set by the `near_dedup` filter */
  signature?: Uint32Array;
}

export function standaloneOf(c: Candidate, by: string): Standalone {
  if (!c.standalone) throw new Error(`filter "${by}" needs the "standalone" filter to run before it`);
  return c.standalone;
}
