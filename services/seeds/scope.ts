import type { Node } from "web-tree-sitter";
import { BUILTINS } from "./python-names.ts";

export interface ScopeNames {
  /** names read but never bound: what the function needs from outside, sorted */
  free: string[];
  /** names the function binds (parameters, locals, its own name) */
  bound: ReadonlySet<string>;
}

/**
 * The names a function reads but never binds: what it needs from outside to stand alone.
 *
 * One flat scope for the whole function (nested functions, lambdas and comprehensions included): a
 * name bound anywhere inside counts as bound everywhere. That can only under-report free names in
 * code that would fail at run time anyway, and the Pyright step checks the result properly.
 * Names declared `global` stay free: they live in the module the function was cut from.
 */
export function scopeNames(fn: Node, source: string): ScopeNames {
  const bound = new Set<string>();
  const used = new Set<string>();
  const globals = new Set<string>();
  const text = (n: Node) => source.slice(n.startIndex, n.endIndex);
  const named = (n: Node) => n.namedChildren.filter((c): c is Node => c !== null);

  const bindTarget = (n: Node): void => {
    switch (n.type) {
      case "identifier":
        bound.add(text(n));
        return;
      case "pattern_list":
      case "tuple_pattern":
      case "list_pattern":
      case "tuple":
      case "list":
      case "expression_list":
      case "parenthesized_expression":
      case "list_splat_pattern":
      case "list_splat":
      case "as_pattern_target":
        for (const c of n.namedChildren) if (c) bindTarget(c);
        return;
      default:
        visit(n); // attribute, subscript: assigning to them reads their base
    }
  };

  const bindParameters = (params: Node | null): void => {
    for (const p of params?.namedChildren ?? []) {
      if (!p) continue;
      switch (p.type) {
        case "identifier":
        case "list_splat_pattern":
        case "dictionary_splat_pattern":
          bindTarget(p.type === "identifier" ? p : (p.namedChildren[0] ?? p));
          break;
        case "typed_parameter": {
          const first = p.namedChildren[0];
          if (first) bindTarget(first.type === "identifier" ? first : (first.namedChildren[0] ?? first));
          visitField(p, "type");
          break;
        }
        case "default_parameter":
        case "typed_default_parameter": {
          const name = p.childForFieldName("name");
          if (name) bindTarget(name);
          visitField(p, "type");
          visitField(p, "value");
          break;
        }
        default:
          break; // separators `/` and `*`, comments
      }
    }
  };

  const bindImport = (n: Node): void => {
    for (const c of n.childrenForFieldName("name")) {
      if (!c) continue;
      if (c.type === "aliased_import") {
        const alias = c.childForFieldName("alias");
        if (alias) bound.add(text(alias));
      } else if (c.type === "dotted_name") {
        // `import a.b` binds `a`; `from m import x` binds `x` (a one-part dotted name)
        const first = c.namedChildren[0];
        if (first) bound.add(text(first));
      }
    }
  };

  const visitField = (n: Node, field: string): void => {
    const c = n.childForFieldName(field);
    if (c) visit(c);
  };

  /** Match-statement patterns: a one-part name captures (binds) unless it names a class; a dotted one reads. */
  const visitPattern = (n: Node, parent: Node): void => {
    switch (n.type) {
      case "dotted_name": {
        const parts = named(n);
        if (parts.length === 1 && parent.type !== "class_pattern") bound.add(text(parts[0]));
        else if (parts[0]) used.add(text(parts[0]));
        return;
      }
      case "identifier":
        bound.add(text(n)); // `as name`, `*rest`, `**rest`
        return;
      case "keyword_pattern":
        for (const c of named(n).slice(1)) visitPattern(c, n);
        return;
      default:
        for (const c of named(n)) visitPattern(c, n);
    }
  };

  const visit = (n: Node): void => {
    switch (n.type) {
      case "identifier":
        used.add(text(n));
        return;
      case "comment":
        return;
      case "attribute":
        visitField(n, "object");
        return;
      case "keyword_argument":
        visitField(n, "value");
        return;
      case "import_statement":
      case "import_from_statement":
        bindImport(n);
        return;
      case "future_import_statement":
        return;
      case "global_statement":
        for (const c of n.namedChildren) if (c?.type === "identifier") globals.add(text(c));
        return;
      case "nonlocal_statement":
        for (const c of n.namedChildren) if (c?.type === "identifier") bound.add(text(c));
        return;
      case "function_definition": {
        const name = n.childForFieldName("name");
        if (name) bound.add(text(name));
        bindParameters(n.childForFieldName("parameters"));
        visitField(n, "return_type");
        visitField(n, "body");
        return;
      }
      case "lambda":
        bindParameters(n.childForFieldName("parameters"));
        visitField(n, "body");
        return;
      case "class_definition": {
        const name = n.childForFieldName("name");
        if (name) bound.add(text(name));
        visitField(n, "superclasses");
        visitField(n, "body");
        return;
      }
      case "assignment":
      case "augmented_assignment": {
        const left = n.childForFieldName("left");
        if (left) bindTarget(left);
        visitField(n, "type");
        visitField(n, "right");
        return;
      }
      case "for_statement":
      case "for_in_clause": {
        const left = n.childForFieldName("left");
        if (left) bindTarget(left);
        for (const c of named(n)) if (!left || c.id !== left.id) visit(c);
        return;
      }
      case "named_expression": {
        const name = n.childForFieldName("name");
        if (name) bound.add(text(name));
        visitField(n, "value");
        return;
      }
      case "as_pattern": {
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (c.type === "as_pattern_target") bindTarget(c);
          else visit(c);
        }
        return;
      }
      case "case_pattern":
        for (const c of named(n)) visitPattern(c, n);
        return;
      case "type_parameter":
        for (const c of n.namedChildren) if (c?.type === "identifier") bound.add(text(c));
        return;
      default:
        for (const c of n.namedChildren) if (c) visit(c);
    }
  };

  visit(fn);
  const free = [...used].filter((u) => (!bound.has(u) && !BUILTINS.has(u)) || globals.has(u));
  for (const g of globals) if (!free.includes(g)) free.push(g);
  for (const g of globals) bound.delete(g);
  return { free: free.sort(), bound };
}
