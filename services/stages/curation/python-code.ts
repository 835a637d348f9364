import type { Node, Parser } from "web-tree-sitter";

/** What curation needs from a piece of Python: does it parse, which names it defines, its code representation. */
export interface PythonFacts {
  parses: boolean;
  /** Every function and class name defined anywhere in the code, as the reference's name diversification collects them. */
  functions: string[];
  classes: string[];
}

export function pythonFacts(parser: Parser, code: string): PythonFacts {
  const tree = parser.parse(code);
  if (!tree) return { parses: false, functions: [], classes: [] };
  try {
    const root = tree.rootNode;
    const name = (n: Node | null) => (n ? code.slice(n.startIndex, n.endIndex) : "");
    return {
      parses: !root.hasError,
      functions: root.descendantsOfType("function_definition").map((n) => name(n?.childForFieldName("name") ?? null)),
      classes: root.descendantsOfType("class_definition").map((n) => name(n?.childForFieldName("name") ?? null)),
    };
  } finally {
    tree.delete();
  }
}

const isAsync = (fn: Node) => fn.children[0]?.type === "async";

/** The module-level definitions the reference keeps (`ast.FunctionDef`, `ast.ClassDef`: not `async def`), decorators included. */
function keptDefinitions(root: Node): Node[] {
  return root.namedChildren.filter((n): n is Node => {
    if (!n) return false;
    const def = n.type === "decorated_definition" ? n.childForFieldName("definition") : n;
    return def !== null && (def.type === "class_definition" || (def.type === "function_definition" && !isAsync(def)));
  });
}

/** A body's leading string statement (`ast.Str`: a plain or concatenated string, not an f-string or bytes). */
function docstringNode(def: Node): Node | null {
  const first = def.childForFieldName("body")?.namedChildren.find((c) => c !== null && c.type !== "comment");
  if (!first || first.type !== "expression_statement" || first.namedChildCount !== 1) return null;
  const expr = first.namedChildren[0];
  const parts = expr?.type === "string" ? [expr] : expr?.type === "concatenated_string" ? expr.namedChildren : [];
  if (parts.length === 0) return null;
  for (const p of parts) {
    const opener = p?.namedChildren[0];
    if (!p || p.type !== "string" || !opener || opener.type !== "string_start" || /[fFbB]/.test(opener.text)) return null;
  }
  return first;
}

/**
 * The reference's `get_code_representation`: the module-level function and class definitions of
 * the code, with every docstring and comment removed. The reference prints the pruned tree with
 * `ast.unparse`; here the remaining source is kept with blank lines and trailing spaces dropped,
 * which leaves the words MinHash compares the same for ordinarily formatted code. Null when the
 * code does not parse.
 */
export function codeRepresentation(parser: Parser, code: string): string | null {
  const tree = parser.parse(code);
  if (!tree) return null;
  try {
    const root = tree.rootNode;
    if (root.hasError) return null;
    const pieces: string[] = [];
    for (const def of keptDefinitions(root)) {
      const cuts: [number, number][] = [];
      for (const c of def.descendantsOfType("comment")) if (c) cuts.push([c.startIndex, c.endIndex]);
      const defs = [def, ...def.descendantsOfType(["function_definition", "class_definition"])];
      for (const d of defs) {
        const doc = d && docstringNode(d);
        if (doc) cuts.push([doc.startIndex, doc.endIndex]);
      }
      cuts.sort((a, b) => a[0] - b[0]);
      let text = "";
      let at = def.startIndex;
      for (const [s, e] of cuts) {
        if (s < at) continue;
        text += code.slice(at, s);
        at = e;
      }
      text += code.slice(at, def.endIndex);
      pieces.push(
        text
          .split("\n")
          .map((l) => l.trimEnd())
          .filter((l) => l.length > 0)
          .join("\n"),
      );
    }
    return pieces.join("\n");
  } finally {
    tree.delete();
  }
}
