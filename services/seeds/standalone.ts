import type { Parser } from "web-tree-sitter";
import type { FileImports } from "./file-imports.ts";
import { COMMON_ALIASES, STDLIB_MODULES, TYPING_NAMES } from "./python-names.ts";
import { scopeNames } from "./scope.ts";

export interface Standalone {
  /** the inferred imports, two blank lines, and the function moved to column 0 */
  code: string;
  /** the function alone, moved to column 0 */
  body: string;
  imports: string[];
  /** free names nothing could supply: the function needs its module to run */
  unresolved: string[];
  /** names the function binds itself: renaming them does not make a different function */
  locals: ReadonlySet<string>;
}

/**
 * Makes a function stand on its own, as the reference does with autoimport: each name it reads
 * but does not bind is supplied by the import its own file used for that name, else by `typing`,
 * a standard-library module of that name, or a conventional alias (`np`, `pd`).
 */
export function makeStandalone(parser: Parser, code: string, indent: string, imports: FileImports): Standalone {
  const body = dedent(code, indent);
  const tree = parser.parse(body);
  if (!tree) throw new Error("parser returned no tree");
  let free: string[];
  let locals: ReadonlySet<string>;
  try {
    const fn = tree.rootNode.descendantsOfType("function_definition")[0];
    if (!fn || tree.rootNode.hasError) return { code: body, body, imports: [], unresolved: ["<unparsable after dedent>"], locals: new Set() };
    ({ free, bound: locals } = scopeNames(fn, body));
  } finally {
    tree.delete();
  }
  const fromFile: string[] = [];
  const typing: string[] = [];
  const modules: string[] = [];
  const unresolved: string[] = [];
  for (const name of free) {
    const own = imports.get(name);
    if (own) fromFile.push(own);
    else if (TYPING_NAMES.has(name)) typing.push(name);
    else if (STDLIB_MODULES.has(name)) modules.push(`import ${name}`);
    else if (COMMON_ALIASES.has(name)) modules.push(COMMON_ALIASES.get(name)!);
    else unresolved.push(name);
  }
  // the file's imports keep the file's order
  const position = new Map([...imports.values()].map((stmt, i) => [stmt, i]));
  const all = [...new Set(fromFile)].sort((a, b) => position.get(a)! - position.get(b)!);
  if (typing.length > 0) all.push(`from typing import ${typing.join(", ")}`);
  all.push(...modules);
  return { code: all.length > 0 ? `${all.join("\n")}\n\n\n${body}\n` : `${body}\n`, body, imports: all, unresolved, locals };
}

/** Moves a function cut from inside a class or another function to column 0. */
export function dedent(code: string, indent: string): string {
  if (indent === "") return code;
  return code
    .split("\n")
    .map((line, i) => {
      if (i === 0) return line;
      if (line.startsWith(indent)) return line.slice(indent.length);
      return line.replace(/^[ \t]+/, (ws) => ws.slice(Math.min(ws.length, indent.length)));
    })
    .join("\n");
}
