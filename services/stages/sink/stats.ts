import { CURATION_RULES, type CurationRule, type CurationState, type SelectorState, type VerdictStatus } from "../../../schemas/records.ts";

export interface Tally {
  instructions: number;
  withPass: number;
  samples: number;
  passed: number;
}

/** What the dataset card reports about how the rows came to be. */
export interface DatasetStats {
  /** Records per topic (DLQs included), as the log holds them: re-judgements count again. */
  topics: Record<string, number>;
  decided: number;
  open: number;
  outcomes: { selected: number; no_pass: number; contaminated: number };
  verdicts: Partial<Record<VerdictStatus, number>>;
  byDifficulty: Record<string, Tally>;
  byCategory: Record<string, Tally>;
  curation: CurationFunnel;
}

/** Folds the selector's latest state per instruction into the card's numbers. */
export function statsFrom(states: SelectorState[], topics: Record<string, number>, curation: CurationState[] = []): DatasetStats {
  const s: DatasetStats = {
    topics,
    decided: 0,
    open: 0,
    outcomes: { selected: 0, no_pass: 0, contaminated: 0 },
    verdicts: {},
    byDifficulty: {},
    byCategory: {},
    curation: curationFunnel(curation),
  };
  const tally = (m: Record<string, Tally>, k: string) => (m[k] ??= { instructions: 0, withPass: 0, samples: 0, passed: 0 });
  for (const st of states) {
    if (st.last_decision) {
      s.decided++;
      s.outcomes[st.last_decision.outcome]++;
    }
    if (st.pending.length > 0) s.open++;
    const passed = st.samples.filter((x) => x.status === "pass").length;
    for (const x of st.samples) s.verdicts[x.status] = (s.verdicts[x.status] ?? 0) + 1;
    for (const t of [tally(s.byDifficulty, st.difficulty), tally(s.byCategory, st.category)]) {
      t.instructions++;
      t.withPass += passed > 0 ? 1 : 0;
      t.samples += st.samples.length;
      t.passed += passed;
    }
  }
  return s;
}

/** What curation did with the selected pairs: how many it keeps, and how many each rule drops. */
export interface CurationFunnel {
  selected: number;
  kept: number;
  /** withdrawn by the selector after curation saw them */
  retracted: number;
  dropped: Partial<Record<CurationRule, number>>;
}

export function curationFunnel(states: CurationState[]): CurationFunnel {
  const f: CurationFunnel = { selected: 0, kept: 0, retracted: 0, dropped: {} };
  for (const s of states) {
    if (s.status === "retracted") {
      f.retracted++;
      continue;
    }
    f.selected++;
    if (s.status === "kept") f.kept++;
    else if (s.rule) f.dropped[s.rule] = (f.dropped[s.rule] ?? 0) + 1;
  }
  return f;
}

/** One line for the run summary and `sca status`: what curation kept and what each rule dropped. */
export function describeCuration(f: CurationFunnel): string {
  const rules = CURATION_RULES.filter((r) => f.dropped[r]).map((r) => `${r} ${f.dropped[r]}`);
  return `curation: ${f.kept} of ${f.selected} selected pairs kept; dropped: ${rules.length > 0 ? rules.join(", ") : "none"}${f.retracted ? `; ${f.retracted} withdrawn by the selector` : ""}`;
}
