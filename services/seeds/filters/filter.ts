import type { Candidate } from "../candidate.ts";

/** Why a candidate was dropped, or null to keep it. */
export type Outcome = string | null;

/** One named filter of the chain, applied to one candidate at a time. */
export interface Filter {
  readonly kind: "each";
  readonly name: string;
  readonly description: string;
  check(c: Candidate): Outcome;
}

/** A filter that is only worth running over many candidates at once (an external tool, a model). */
export interface BatchFilter {
  readonly kind: "batch";
  readonly name: string;
  readonly description: string;
  checkBatch(cs: readonly Candidate[]): Promise<Outcome[]>;
}

export type ChainFilter = Filter | BatchFilter;
