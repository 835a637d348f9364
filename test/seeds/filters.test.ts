import { describe, expect, it } from "vitest";
import { badImports } from "../../services/seeds/filters/bad-imports.ts";
import { badWords } from "../../services/seeds/filters/bad-words.ts";
import { tripleQuotedDocstring } from "../../services/seeds/filters/docstring-quotes.ts";
import type { Filter } from "../../services/seeds/filters/filter.ts";
import { hasParams } from "../../services/seeds/filters/has-params.ts";
import { hasReturn } from "../../services/seeds/filters/has-return.ts";
import { maxLines } from "../../services/seeds/filters/max-lines.ts";
import { standaloneFilter } from "../../services/seeds/filters/standalone.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { candidateFrom } from "./helpers.ts";

const fn = (body: string[], sig = "f(x)", doc = '"""Doc."""') => ["def " + sig + ":", "    " + doc, ...body.map((l) => "    " + l)].join("\n");

async function outcome(filter: Filter, src: string, withStandalone = false) {
  const c = await candidateFrom(src);
  if (withStandalone) standaloneFilter(await pythonParser()).check(c);
  return filter.check(c);
}

describe("seed filters, one by one", () => {
  it("has_return keeps a return with a value only", async () => {
    expect(await outcome(hasReturn, fn(["return x"]))).toBeNull();
    expect(await outcome(hasReturn, fn(["print(x)", "return"]))).toBe("no return statement with a value");
  });

  it("has_params drops a function without arguments", async () => {
    expect(await outcome(hasParams, fn(["return 1"], "f()"))).toBe("takes no arguments");
    expect(await outcome(hasParams, fn(["return 1"], "f() -> int"))).toBe("takes no arguments");
    expect(await outcome(hasParams, fn(["return 1"], "f(*, k=1)"))).toBeNull();
  });

  it("max_lines allows 150 lines and no more", async () => {
    const body = (n: number) => [...Array.from({ length: n - 3 }, (_, i) => `x += ${i}`), "return x"];
    expect(await outcome(maxLines(), fn(body(150)))).toBeNull();
    expect(await outcome(maxLines(), fn(body(151)))).toBe("151 lines (limit 150)");
  });

  it("bad_words matches todo/fixme/bug anywhere in the lowercased code, as the reference does", async () => {
    expect(await outcome(badWords, fn(["return x"]))).toBeNull();
    expect(await outcome(badWords, fn(["# TODO: faster", "return x"]))).toBe('contains "todo"');
    expect(await outcome(badWords, fn(["return x"], "f(x)", '"""Print debug output."""'))).toBe('contains "bug"');
  });

  it('triple_quoted_docstring wants """ (with any prefix)', async () => {
    expect(await outcome(tripleQuotedDocstring, fn(["return x"], "f(x)", 'r"""Raw."""'))).toBeNull();
    expect(await outcome(tripleQuotedDocstring, fn(["return x"], "f(x)", "'''Single.'''"))).toBe("docstring quoted with '''");
    expect(await outcome(tripleQuotedDocstring, fn(["return x"], "f(x)", '"Short."'))).toBe('docstring quoted with "');
  });

  it("standalone drops a function that needs names from its module", async () => {
    const parser = await pythonParser();
    expect(standaloneFilter(parser).check(await candidateFrom(fn(["return helper(x)"])))).toBe("unresolved: helper");
    expect(standaloneFilter(parser).check(await candidateFrom(fn(["return math.sqrt(x)"])))).toBeNull();
  });

  it("bad_imports checks the standalone code, inferred imports included, on word boundaries", async () => {
    expect(await outcome(badImports, fn(["return os.path.join(x, 'a')"]), true)).toBe("imports os");
    expect(await outcome(badImports, "import subprocess as sp\n\n" + fn(["return sp.run(x)"]), true)).toBe("imports subprocess");
    expect(await outcome(badImports, fn(["return ossaudiodev.open(x)"]), true)).toBeNull();
    expect(await outcome(badImports, fn(["return x"], "f(x)", '"""Read from system input."""'), true)).toBeNull();
  });
});
