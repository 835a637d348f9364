import type { Decontaminator } from "../../decontam/matcher.ts";
import { standaloneOf } from "../candidate.ts";
import type { Filter } from "./filter.ts";

/** Drops functions holding a benchmark docstring or solution; checked on the dedented code so methods match too. */
export function decontaminationFilter(d: Decontaminator): Filter {
  return {
    kind: "each",
    name: "decontamination",
    description: `no benchmark text (${d.size} strings)`,
    check: (c) => {
      const hit = d.find(standaloneOf(c, "decontamination").code);
      return hit ? `contains ${hit.origin}` : null;
    },
  };
}
