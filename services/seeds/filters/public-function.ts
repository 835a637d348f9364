import type { Filter } from "./filter.ts";

/**
 * Only functions a module offers its users: a public name (no leading underscore) in a file that is
 * not a test. Used when seeds are spread over a corpus for a short run: private helpers (the standard
 * library's `_pydecimal` internals, say) and test fixtures make obscure seeds, and a short run cannot
 * afford many.
 */
export const publicFunction: Filter = {
  kind: "each",
  name: "public_function",
  description: "a public function (no leading underscore) outside test files",
  check: (c) => {
    if (c.fn.name.startsWith("_")) return `private name ${c.fn.name}`;
    const parts = c.source.path.split("/");
    const file = parts.at(-1) ?? "";
    if (parts.slice(0, -1).some((d) => d === "test" || d === "tests") || /^test_|_test\.py$|^conftest\.py$/.test(file))
      return `in a test file (${c.source.path})`;
    return null;
  },
};
