import type { Filter } from "./filter.ts";

/** The reference drops functions longer than 150 lines. */
export function maxLines(limit = 150): Filter {
  return {
    kind: "each",
    name: "max_lines",
    description: `at most ${limit} lines`,
    check: (c) => {
      const lines = c.fn.end_line - c.fn.start_line + 1;
      return lines <= limit ? null : `${lines} lines (limit ${limit})`;
    },
  };
}
