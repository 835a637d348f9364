import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractFunctions } from "../../services/seeds/extract.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { pythonExe, STDLIB_SUBSET, stdlibDir } from "./helpers.ts";

type Row = [string, number, number, boolean];

describe("extraction", () => {
  it("agrees exactly with Python's ast on a fixed subset of the standard library", async () => {
    const files = STDLIB_SUBSET.map((f) => join(stdlibDir(), f)).filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(40);
    const script = join(import.meta.dirname, "fixtures", "ast_functions.py");
    const lines = execFileSync(pythonExe(), [script, ...files], { encoding: "utf8", maxBuffer: 1 << 28 })
      .trim()
      .split("\n");
    const reference = new Map(lines.map((l) => JSON.parse(l) as { path: string; ok: boolean; functions: Row[] }).map((r) => [r.path, r]));
    const parser = await pythonParser();
    let total = 0;
    let withDoc = 0;
    for (const f of files) {
      const ref = reference.get(f)!;
      expect(ref.ok, `ast parses ${f}`).toBe(true);
      const r = extractFunctions(parser, readFileSync(f, "utf8"));
      expect(r.parsed, `tree-sitter parses ${f}`).toBe(true);
      if (!r.parsed) continue;
      const mine: Row[] = r.functions
        .map((fn): Row => [fn.name, fn.start_line, fn.end_line, fn.docstring !== null])
        .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      expect(mine, f).toEqual(ref.functions);
      total += mine.length;
      withDoc += mine.filter((m) => m[3]).length;
    }
    expect(total).toBeGreaterThan(2000);
    expect(withDoc).toBeGreaterThan(500);
  });

  it("cuts each function verbatim, from def to its last token, with name, parameters and docstring", async () => {
    const src = [
      "# -*- coding: utf-8 -*-",
      "class Café:",
      "    @property",
      "    async def naïve(self, /, a: int = 1, *args: str, b, **kw) -> int:",
      "        # a comment before the docstring",
      '        r"""Déjà vu."""',
      "        return a  # trailing",
      "        # comment after the last statement",
      "",
      "def no_doc(x):",
      '    f"""not a docstring {x}"""',
      "    return x",
      "",
      "def quoted(x):",
      "    '''single quotes'''",
      "    def inner(y):",
      '        ("""parenthesised docstring""")',
      "    return inner",
      "",
      "x = 1; y = 2",
    ].join("\n");
    const r = extractFunctions(await pythonParser(), src);
    expect(r.parsed).toBe(true);
    if (!r.parsed) return;
    const [m, noDoc, quoted, inner] = r.functions;
    expect(m.name).toBe("naïve");
    expect(m.params).toEqual(["self", "a", "*args", "b", "**kw"]);
    expect(m.start_line).toBe(4);
    expect(m.end_line).toBe(7);
    expect(m.indent).toBe("    ");
    expect(m.code.startsWith("async def naïve(")).toBe(true);
    expect(m.code.endsWith("return a")).toBe(true);
    expect(src.includes(m.code)).toBe(true);
    expect(m.docstring).toEqual({ text: "Déjà vu.", quote: '"""' });
    expect(m.has_return).toBe(true);
    expect(noDoc.docstring).toBeNull();
    expect(quoted.docstring?.quote).toBe("'''");
    expect(inner.docstring?.text).toBe("parenthesised docstring");
    expect(inner.has_return).toBe(false);
  });

  it("reports a file with a syntax error as unparsed instead of failing", async () => {
    const r = extractFunctions(await pythonParser(), "def f(:\n    return 1\n");
    expect(r).toEqual({ parsed: false, reason: "syntax error" });
  });
});
