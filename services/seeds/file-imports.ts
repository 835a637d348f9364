import type { Node } from "web-tree-sitter";

/** name bound at module level → the single import statement that binds it (e.g. `from a import b as c`). */
export type FileImports = ReadonlyMap<string, string>;

/**
 * The imports a file makes outside any function or class (including those under module-level
 * `try`/`if`), one statement per bound name. Relative imports are left out: a seed cut from its
 * package cannot use them. Where a name is bound twice (`try: import simplejson as json` /
 * `except ImportError: import json`), the later one wins: it is usually the standard fallback.
 */
export function fileImports(root: Node, source: string): FileImports {
  const text = (n: Node) => source.slice(n.startIndex, n.endIndex).replace(/\s+/g, "");
  const out = new Map<string, string>();
  for (const stmt of root.descendantsOfType(["import_statement", "import_from_statement"])) {
    if (!stmt || insideDefinition(stmt)) continue;
    let from: string | null = null;
    if (stmt.type === "import_from_statement") {
      const mod = stmt.childForFieldName("module_name");
      if (!mod || mod.type === "relative_import") continue;
      from = text(mod);
    }
    for (const item of stmt.childrenForFieldName("name")) {
      if (!item) continue;
      const target = item.type === "aliased_import" ? item.childForFieldName("name") : item;
      const alias = item.type === "aliased_import" ? item.childForFieldName("alias") : null;
      if (!target) continue;
      const dotted = text(target);
      const what = alias ? `${dotted} as ${text(alias)}` : dotted;
      const binds = alias ? text(alias) : from === null ? dotted.split(".")[0] : dotted;
      out.set(binds, from === null ? `import ${what}` : `from ${from} import ${what}`);
    }
  }
  return out;
}

function insideDefinition(n: Node): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === "function_definition" || p.type === "class_definition") return true;
  }
  return false;
}
