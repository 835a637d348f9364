import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultBenchmarksDir, GENERIC_SOLUTIONS, loadBenchmarkFile, loadBenchmarks, problemTexts } from "../../services/decontam/benchmarks.ts";
import { Decontaminator } from "../../services/decontam/matcher.ts";
import { humanEval, runIngest, stdlibDir, tempDir } from "./helpers.ts";

describe("benchmark decontamination", () => {
  it("loads HumanEval's docstrings and canonical solutions, minus the generic one-liners", () => {
    const strings = loadBenchmarkFile(join(defaultBenchmarksDir(), "HumanEval.jsonl.gz"));
    const prompts = strings.filter((s) => s.origin.endsWith("(prompt)"));
    const solutions = strings.filter((s) => s.origin.endsWith("(solution)"));
    // one docstring per problem, plus those of the helper functions a few prompts include
    const docstrings = humanEval().reduce(
      (n, p) => n + (p.prompt.split('"""').length - 1) / 2 + (p.prompt.includes('"""') ? 0 : (p.prompt.split("'''").length - 1) / 2),
      0,
    );
    expect(docstrings).toBeGreaterThan(164);
    expect(prompts).toHaveLength(docstrings);
    const generic = humanEval().filter((p) => GENERIC_SOLUTIONS.has(p.canonical_solution.trim())).length;
    expect(generic).toBeGreaterThan(0);
    expect(solutions).toHaveLength(164 - generic);
    expect(prompts[0]).toMatchObject({ origin: "HumanEval.jsonl.gz:HumanEval/0 (prompt)" });
    expect(prompts[0].text.startsWith("Check if in given list of numbers")).toBe(true);
  });

  it("finds every HumanEval function (prompt + canonical solution) and nothing in clean code", () => {
    const d = new Decontaminator(loadBenchmarks([defaultBenchmarksDir()]));
    for (const p of humanEval()) expect(d.find(p.prompt + p.canonical_solution), p.task_id).not.toBeNull();
    expect(d.find('def add(a, b):\n    """Add."""\n    return a + b\n')).toBeNull();
  });

  it("in normalized mode, ignores case and whitespace: usable for generated instructions and responses", () => {
    const strings = loadBenchmarks([defaultBenchmarksDir()]);
    const [doc] = problemTexts(humanEval()[0].prompt);
    const reflowed = `Task: ${doc.toUpperCase().split(/\s+/).join("\n  ")}\nGood luck.`;
    expect(new Decontaminator(strings, "exact").find(reflowed)).toBeNull();
    expect(new Decontaminator(strings, "normalized").isContaminated(reflowed)).toBe(true);
  });

  it("reads extra benchmark folders (MBPP- and DS-1000-shaped JSONL) and names the line of a bad record", () => {
    const dir = tempDir("bench");
    writeFileSync(
      join(dir, "mbpp.jsonl"),
      [
        JSON.stringify({
          task_id: 11,
          text: "Write a python function to remove first and last occurrence of a given character from the string.",
          code: "def remove_Occ(s,ch): \r\n    return s.strip(ch)",
        }),
        JSON.stringify({ task_id: "ds-1", prompt: "import numpy as np\na = np.ones(3)\nresult = ... # put solution in this variable\nBEGIN SOLUTION\n<code>" }),
      ].join("\n") + "\n",
    );
    const strings = loadBenchmarks([dir]);
    expect(strings.map((s) => s.origin)).toEqual(["mbpp.jsonl:11 (prompt)", "mbpp.jsonl:11 (solution)", "mbpp.jsonl:ds-1 (prompt)"]);
    expect(strings[2].text).toBe("import numpy as np\na = np.ones(3)\nresult = ... # put solution in this variable");
    const bad = tempDir("bad");
    writeFileSync(join(bad, "x.jsonl"), `${JSON.stringify({ prompt: "ok" })}\n${JSON.stringify({ prompt: 42 })}\n`);
    expect(() => loadBenchmarks([bad])).toThrow(/x\.jsonl:2: prompt: .*got 42/);
    expect(() => loadBenchmarks([join(bad, "missing")])).toThrow(/does not exist/);
  });

  it("removes every planted HumanEval function from a real corpus", async () => {
    const corpus = tempDir("planted");
    for (const f of ["textwrap.py", "heapq.py", "bisect.py", "colorsys.py", "statistics.py", "base64.py"])
      cpSync(join(stdlibDir(), f), join(corpus, "stdlib", f));
    mkdirSync(join(corpus, "planted"));
    const problems = humanEval();
    problems.forEach((p, i) => writeFileSync(join(corpus, "planted", `he_${i}.py`), p.prompt + p.canonical_solution));
    const { funnel, seeds } = await runIngest([corpus], { dedupDir: tempDir("dedup") });
    expect(seeds.filter((s) => s.path.startsWith("planted/")).map((s) => s.name)).toEqual([]);
    expect(seeds.filter((s) => s.path.startsWith("stdlib/")).length).toBeGreaterThan(5);
    const decontam = funnel.filter("decontamination");
    // most planted functions get as far as decontamination; every one that does is dropped there
    expect(decontam.dropped).toBeGreaterThan(120);
    expect(decontam.in - decontam.dropped).toBe(seeds.length + funnel.filter("exact_dedup").dropped + funnel.filter("near_dedup").dropped);
  });
});
