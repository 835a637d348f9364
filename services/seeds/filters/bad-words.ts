import type { Filter } from "./filter.ts";

/** Markers of unfinished or broken code; matched anywhere in the lowercased text, as the reference does (so "debug" counts). */
export const BAD_WORDS = ["todo", "fixme", "bug"] as const;

export const badWords: Filter = {
  kind: "each",
  name: "bad_words",
  description: `no ${BAD_WORDS.join("/")} in the text`,
  check: (c) => {
    const lower = c.fn.code.toLowerCase();
    const w = BAD_WORDS.find((b) => lower.includes(b));
    return w ? `contains "${w}"` : null;
  },
};
