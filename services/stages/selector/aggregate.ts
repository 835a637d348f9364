import type { SelectedPair, SelectorState, Verdict } from "../../../schemas/records.ts";
import type { SelectionPolicy } from "./policies.ts";
import { toRow } from "./row.ts";

export interface SelectorOptions {
  policy: SelectionPolicy;
  /** True when the text holds benchmark material (the seeds stage's decontamination check). */
  isContaminated(text: string): boolean;
  now: Date;
}

/** What a step does to the dataset: a new or changed row, or the withdrawal of the row emitted before. */
export type DatasetChange = { kind: "select"; row: SelectedPair } | { kind: "retract"; row: SelectedPair };

export interface Step {
  state: SelectorState;
  change?: DatasetChange;
}

function fresh(v: Verdict, policy: string): SelectorState {
  return {
    instruction_id: v.instruction_id,
    n_samples: v.n_samples,
    category: v.response.category,
    difficulty: v.response.difficulty,
    policy,
    samples: [],
    pending: [],
    pending_since: null,
    best: null,
    emitted: null,
    last_decision: null,
  };
}

/**
 * Folds one verdict into its instruction's state. Verdicts come in rounds: the n samples of the
 * first judgement, then (after a replay) a re-judgement of each sample. A round is decided once
 * every sample index has reported since the last decision; `expireRound` decides a round that
 * stragglers never complete. A later verdict for a sample always supersedes the earlier one.
 */
export function applyVerdict(prev: SelectorState | undefined, v: Verdict, opts: SelectorOptions): Step {
  const base = prev ?? fresh(v, opts.policy.name);
  const newRound = base.pending.length === 0;
  const eligible = opts.policy.eligible(v);
  // Only a candidate for selection needs the (substring-scanning) benchmark check.
  const contaminated = eligible && (opts.isContaminated(v.response.instruction) || opts.isContaminated(v.response.response));
  let best = newRound ? null : base.best;
  if (eligible && !contaminated) {
    const score = opts.policy.score(v);
    if (!best || score < best.score || (score === best.score && v.response_id < best.row.response_id))
      best = { score, row: toRow(v, opts.policy.name, opts.now) };
  }
  const state: SelectorState = {
    ...base,
    n_samples: v.n_samples,
    samples: [
      ...base.samples.filter((s) => s.sample_index !== v.sample_index),
      { sample_index: v.sample_index, verdict_id: v.id, judged_at: v.lineage.created_at, status: v.status, contaminated },
    ].sort((a, b) => a.sample_index - b.sample_index),
    pending: [...new Set([...base.pending, v.sample_index])].sort((a, b) => a - b),
    pending_since: newRound ? opts.now.toISOString() : base.pending_since,
    best,
  };
  const complete = Array.from({ length: state.n_samples }, (_, i) => i).every((i) => state.pending.includes(i));
  return complete ? decide(state, true, opts.now, opts.policy.name) : { state };
}

/** Decides a round that did not hear from every sample in time (a response lost to a DLQ, a slow sandbox). */
export function expireRound(state: SelectorState, now: Date, policy: string): Step {
  if (state.pending.length === 0) return { state };
  return decide(state, false, now, policy);
}

export function isExpired(state: SelectorState, now: Date, timeoutMs: number): boolean {
  return state.pending_since !== null && now.getTime() - Date.parse(state.pending_since) >= timeoutMs;
}

function decide(state: SelectorState, complete: boolean, now: Date, policy: string): Step {
  const nPassed = state.samples.filter((s) => s.status === "pass").length;
  const outcome = state.best ? "selected" : state.samples.some((s) => s.status === "pass" && s.contaminated) ? "contaminated" : "no_pass";
  const row = state.best ? { ...state.best.row, n_passed: nPassed } : null;
  let change: DatasetChange | undefined;
  let emitted = state.emitted;
  if (row && row.id !== state.emitted?.id) {
    change = { kind: "select", row };
    emitted = row;
  } else if (!row && state.emitted) {
    change = { kind: "retract", row: { ...state.emitted, retracted: true } };
    emitted = null;
  }
  return {
    state: {
      ...state,
      policy,
      pending: [],
      pending_since: null,
      best: null,
      emitted,
      last_decision: { outcome, n_passed: nPassed, decided_at: now.toISOString(), complete },
    },
    ...(change ? { change } : {}),
  };
}
