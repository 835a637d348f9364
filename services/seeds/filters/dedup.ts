import { standaloneOf } from "../candidate.ts";
import type { DedupState } from "../dedup-state.ts";
import { dedupTokens } from "../dedup-tokens.ts";
import { shingles, signature } from "../../minhash/minhash.ts";
import { seedId } from "../seed-record.ts";
import type { Filter } from "./filter.ts";

/** Same standalone code as a seed emitted before (in this run or any earlier one). */
export function exactDedupFilter(state: DedupState): Filter {
  return {
    kind: "each",
    name: "exact_dedup",
    description: "not emitted before (same id)",
    check: (c) => {
      c.id = seedId(standaloneOf(c, "exact_dedup").code);
      return state.has(c.id) ? `seed ${c.id} already emitted` : null;
    },
  };
}

/**
 * MinHash/LSH near-duplicate of a seed emitted before. The pipeline adds each seed it emits to
 * the state at once, so later functions of the same run are compared with it too.
 */
export function nearDedupFilter(state: DedupState): Filter {
  const { numPerm, ngram, threshold } = state.params;
  return {
    kind: "each",
    name: "near_dedup",
    description: `no near-duplicate at Jaccard >= ${threshold}`,
    check: (c) => {
      const s = standaloneOf(c, "near_dedup");
      c.signature = signature(shingles(dedupTokens(s.body, s.locals), ngram), numPerm);
      const dup = state.nearDuplicate(c.signature);
      return dup ? `near-duplicate of ${dup.id} (Jaccard ~${dup.jaccard.toFixed(2)})` : null;
    },
  };
}
