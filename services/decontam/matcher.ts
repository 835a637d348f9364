import AhoCorasick from "modern-ahocorasick";
import type { BenchmarkString } from "./benchmarks.ts";

/**
 * - `exact`: the reference's rule for seeds: the benchmark string occurs verbatim in the text.
 * - `normalized`: case and whitespace runs ignored on both sides, for generated instructions and
 *   responses, whose indentation and capitalisation need not follow the benchmark's.
 */
export type MatchMode = "exact" | "normalized";

export function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/** Finds benchmark strings inside texts: one pass over the text for all of them (Aho–Corasick). */
export class Decontaminator {
  private readonly matcher: AhoCorasick<BenchmarkString> | null;
  /** how many benchmark strings are searched for */
  readonly size: number;

  constructor(
    strings: readonly BenchmarkString[],
    readonly mode: MatchMode = "exact",
  ) {
    const patterns = strings.map((s) => ({ pattern: mode === "normalized" ? normalize(s.text) : s.text, data: s })).filter((p) => p.pattern.length > 0);
    this.size = patterns.length;
    this.matcher = patterns.length > 0 ? new AhoCorasick(patterns) : null;
  }

  /** The first benchmark string found in `text`, or null when it is clean. */
  find(text: string): BenchmarkString | null {
    if (!this.matcher) return null;
    const hit = this.matcher.findFirst(this.mode === "normalized" ? normalize(text) : text);
    return hit?.data ?? null;
  }

  isContaminated(text: string): boolean {
    return this.find(text) !== null;
  }
}
