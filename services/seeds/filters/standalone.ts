import type { Parser } from "web-tree-sitter";
import { makeStandalone } from "../standalone.ts";
import type { Filter } from "./filter.ts";

/** Infers the imports a function needs and drops it when some name it reads has no source. */
export function standaloneFilter(parser: Parser): Filter {
  return {
    kind: "each",
    name: "standalone",
    description: "every free name resolved by an inferred import",
    check: (c) => {
      const s = makeStandalone(parser, c.fn.code, c.fn.indent, c.imports);
      c.standalone = s;
      return s.unresolved.length === 0 ? null : `unresolved: ${s.unresolved.slice(0, 5).join(", ")}`;
    },
  };
}
