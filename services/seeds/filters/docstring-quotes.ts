import type { Filter } from "./filter.ts";

/** The reference keeps only docstrings written with `"""` (any prefix such as r or u). */
export const tripleQuotedDocstring: Filter = {
  kind: "each",
  name: "triple_quoted_docstring",
  description: 'docstring written with """',
  check: (c) => (c.fn.docstring?.quote === '"""' ? null : `docstring quoted with ${c.fn.docstring?.quote ?? "nothing"}`),
};
