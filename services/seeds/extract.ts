import type { Node, Parser } from "web-tree-sitter";
import { fileImports, type FileImports } from "./file-imports.ts";

/** A docstring as Python's `ast.get_docstring` sees it, plus the quotes it was written with. */
export interface Docstring {
  /** the raw text between the quotes */
  text: string;
  /** the opening delimiter without its prefix letters: `"""`, `'''`, `"` or `'` */
  quote: string;
}

/** One `def` found in a file (top level, method or nested), with its verbatim source span. */
export interface ExtractedFunction {
  name: string;
  params: string[];
  /** verbatim source from `def` (or `async def`) to the function's last token */
  code: string;
  /** the whitespace before `def` on its line: what to strip from the other lines to stand alone */
  indent: string;
  /** 1-based, inclusive */
  start_line: number;
  end_line: number;
  docstring: Docstring | null;
  /** has a `return` with a value (anywhere in its body, as the reference counts it) */
  has_return: boolean;
  /** defined at module level (decorated or not), not a method or a nested function */
  top_level: boolean;
}

export type ExtractResult = { parsed: true; functions: ExtractedFunction[]; imports: FileImports } | { parsed: false; reason: string };

/** Every function of one Python source file; a file with any syntax error is reported, not half-used. */
export function extractFunctions(parser: Parser, source: string): ExtractResult {
  const tree = parser.parse(source);
  if (!tree) return { parsed: false, reason: "parser returned no tree" };
  try {
    const root = tree.rootNode;
    if (root.hasError) return { parsed: false, reason: "syntax error" };
    const functions: ExtractedFunction[] = [];
    for (const fn of root.descendantsOfType("function_definition")) {
      if (fn) functions.push(describe(fn, source));
    }
    return { parsed: true, functions, imports: fileImports(root, source) };
  } finally {
    tree.delete();
  }
}

function describe(fn: Node, source: string): ExtractedFunction {
  const slice = (n: Node) => source.slice(n.startIndex, n.endIndex);
  // The node ends after trailing comments that belong to the block; Python (ast) ends a function at
  // its last real token, and so do we.
  const last = lastToken(fn);
  const lineStart = source.lastIndexOf("\n", fn.startIndex - 1) + 1;
  const name = fn.childForFieldName("name");
  return {
    name: name ? slice(name) : "",
    params: parameterNames(fn.childForFieldName("parameters"), slice),
    code: source.slice(fn.startIndex, last.endIndex),
    indent: source.slice(lineStart, fn.startIndex),
    start_line: fn.startPosition.row + 1,
    end_line: last.endPosition.row + 1,
    docstring: docstringOf(fn.childForFieldName("body"), source),
    has_return: fn.descendantsOfType("return_statement").some((r) => (r?.namedChildCount ?? 0) > 0),
    top_level: (fn.parent?.type === "decorated_definition" ? fn.parent.parent : fn.parent)?.type === "module",
  };
}

function lastToken(n: Node): Node {
  let cur = n;
  for (;;) {
    const kids = cur.children.filter((c): c is Node => c !== null && !c.isExtra && c.type !== "comment");
    const tail = kids[kids.length - 1];
    if (!tail) return cur;
    cur = tail;
  }
}

function parameterNames(params: Node | null, slice: (n: Node) => string): string[] {
  const names: string[] = [];
  for (const p of params?.namedChildren ?? []) {
    if (!p) continue;
    switch (p.type) {
      case "identifier":
      case "list_splat_pattern":
      case "dictionary_splat_pattern":
        names.push(slice(p));
        break;
      case "typed_parameter": {
        const first = p.namedChildren[0];
        if (first) names.push(slice(first));
        break;
      }
      case "default_parameter":
      case "typed_default_parameter": {
        const n = p.childForFieldName("name");
        if (n) names.push(slice(n));
        break;
      }
      default:
        break; // `/`, `*` and comments are not parameters
    }
  }
  return names;
}

/** `ast.get_docstring` semantics: the first statement is a plain (not f-, not bytes) string literal. */
function docstringOf(body: Node | null, source: string): Docstring | null {
  const first = body?.namedChildren.find((c) => c !== null && c.type !== "comment");
  if (!first || first.type !== "expression_statement" || first.namedChildCount !== 1) return null;
  let expr = first.namedChildren[0];
  while (expr?.type === "parenthesized_expression" && expr.namedChildCount === 1) expr = expr.namedChildren[0];
  if (!expr) return null;
  const parts = expr.type === "string" ? [expr] : expr.type === "concatenated_string" ? expr.namedChildren : [];
  if (parts.length === 0) return null;
  let text = "";
  let quote = "";
  for (const part of parts) {
    if (!part || part.type !== "string") return null;
    const start = part.namedChildren[0];
    const end = part.namedChildren[part.namedChildCount - 1];
    if (!start || !end || start.type !== "string_start" || end.type !== "string_end") return null;
    const opener = source.slice(start.startIndex, start.endIndex);
    const prefix = opener.replace(/["']+$/, "");
    if (/[fFbBtT]/.test(prefix)) return null;
    quote ||= opener.slice(prefix.length);
    text += source.slice(start.endIndex, end.startIndex);
  }
  return { text, quote };
}
