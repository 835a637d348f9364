import { describe, expect, it } from "vitest";
import type { Candidate } from "../../services/seeds/candidate.ts";
import { FilterChain } from "../../services/seeds/chain.ts";
import { standaloneFilter } from "../../services/seeds/filters/standalone.ts";
import { typecheckFilter } from "../../services/seeds/filters/typecheck.ts";
import { Funnel } from "../../services/seeds/funnel.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { DEFAULT_PYRIGHT, pyrightErrors } from "../../services/seeds/pyright.ts";
import { candidateFrom } from "./helpers.ts";

const GOOD = 'import re\n\n\ndef words(text: str) -> list[str]:\n    """Words."""\n    return re.findall(r"\\w+", text)\n';
const UNDEFINED = 'def f(x):\n    """Doc."""\n    return x + missing_name\n';
const TYPE_ERROR = 'def g(x: int) -> str:\n    """Doc."""\n    return x + 1\n';
const NO_MODULE = 'import surely_not_a_module_here\n\n\ndef h(x):\n    """Doc."""\n    return surely_not_a_module_here.go(x)\n';

describe("Pyright in batches", () => {
  it("reports each snippet's errors in input order, warnings aside", async () => {
    const errors = await pyrightErrors([GOOD, UNDEFINED, TYPE_ERROR, NO_MODULE, GOOD]);
    expect(errors[0]).toEqual([]);
    expect(errors[1].join()).toMatch(/reportUndefinedVariable: "missing_name" is not defined/);
    expect(errors[2].join()).toMatch(/reportReturnType/);
    expect(errors[3].join()).toMatch(/reportMissingImports/);
    expect(errors[4]).toEqual([]);
  });

  it("runs as a batch filter of the chain: survivors go on in their original order", async () => {
    const parser = await pythonParser();
    const sources = [GOOD, TYPE_ERROR, GOOD.replace("words", "words2"), UNDEFINED, GOOD.replace("words", "words3")];
    const candidates: Candidate[] = await Promise.all(sources.map((s) => candidateFrom(s)));
    const filters = [standaloneFilter(parser), typecheckFilter(DEFAULT_PYRIGHT)];
    const funnel = new Funnel(filters);
    const passed: string[] = [];
    const chain = new FilterChain(filters, funnel, 3, async (c) => {
      passed.push(c.fn.name);
    });
    for (const c of candidates) await chain.push(c);
    await chain.finish();
    expect(passed).toEqual(["words", "words2", "words3"]);
    // the undefined name never reaches Pyright: import inference already drops it
    expect(funnel.filter("standalone")).toMatchObject({ in: 5, dropped: 1 });
    expect(funnel.filter("typecheck")).toMatchObject({ in: 4, dropped: 1 });
    expect(funnel.filter("typecheck").examples[0]).toMatch(/fixture\.py:1 g: reportReturnType/);
  });
});
