import { describe, expect, it } from "vitest";
import { extractFunctions } from "../../services/seeds/extract.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { dedent, makeStandalone } from "../../services/seeds/standalone.ts";

async function firstStandalone(src: string, name: string) {
  const parser = await pythonParser();
  const r = extractFunctions(parser, src);
  if (!r.parsed) throw new Error("fixture does not parse");
  const fn = r.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`no function ${name}`);
  return makeStandalone(parser, fn.code, fn.indent, r.imports);
}

describe("import inference", () => {
  it("supplies each free name from the file's own imports, typing, the standard library or a common alias", async () => {
    const src = [
      "import collections.abc",
      "from itertools import chain as ch, islice",
      "try:",
      "    import simplejson as json",
      "except ImportError:",
      "    import json",
      "from .sibling import helper",
      "",
      "def f(xs: List[int], n) -> Optional[str]:",
      '    """Docstring."""',
      "    total = sum(islice(ch(xs, [n]), 3))",
      "    data = json.dumps(re.findall('a', str(total)))",
      "    arr = np.array(xs)",
      "    if isinstance(xs, collections.abc.Sequence):",
      "        return data",
      "    return None",
    ].join("\n");
    const s = await firstStandalone(src, "f");
    expect(s.unresolved).toEqual([]);
    expect(s.imports).toEqual([
      "import collections.abc",
      "from itertools import chain as ch",
      "from itertools import islice",
      "import json",
      "from typing import List, Optional",
      "import numpy as np",
      "import re",
    ]);
    expect(s.code.endsWith("    return None\n")).toBe(true);
    expect(s.code.startsWith(s.imports.join("\n") + "\n\n\ndef f(")).toBe(true);
  });

  it("leaves names bound inside the function alone and reports what nothing can supply", async () => {
    const src = [
      "from .sibling import helper",
      "CONSTANT = 3",
      "",
      "def g(a, *rest, key=None, **kw):",
      '    """Doc."""',
      "    global counter",
      "    with open(a) as (fh):",
      "        lines = [ln for ln in fh if ln]",
      "    try:",
      "        v = (w := len(lines))",
      "    except ValueError as err:",
      "        raise RuntimeError(err)",
      "    match rest:",
      "        case [first, *others] if first:",
      "            pass",
      "        case Point(x=px):",
      "            pass",
      "    f2 = lambda q, r=1: q + r + w",
      "    for i, (j, k) in enumerate([(1, 2)]):",
      "        v += i + j + k",
      "    return helper(v) + CONSTANT + counter + f2(1) + first + px + len(others) + key + kw['x']",
    ].join("\n");
    const s = await firstStandalone(src, "g");
    expect(s.unresolved).toEqual(["CONSTANT", "Point", "counter", "helper"]);
    for (const local of ["a", "rest", "key", "kw", "fh", "lines", "ln", "v", "w", "err", "first", "others", "px", "f2", "q", "r", "i", "j", "k", "g"]) {
      expect(s.locals.has(local), local).toBe(true);
    }
  });

  it("moves a method to column 0", async () => {
    const src = ["class A:", "    def m(self, x):", '        """Doc."""', "        return x + 1", ""].join("\n");
    const s = await firstStandalone(src, "m");
    expect(s.code).toBe('def m(self, x):\n    """Doc."""\n    return x + 1\n');
    expect(dedent("def f():\n\t\tpass\n  x", "\t")).toBe("def f():\n\tpass\n x");
  });
});
