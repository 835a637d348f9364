import { describe, expect, it } from "vitest";
import { EXAMPLES } from "../../services/llm/fewshot/examples.ts";
import { FewShotPool } from "../../services/llm/fewshot/pool.ts";
import { parseConcepts, parseInstruction, parseResponse } from "../../services/llm/parsers.ts";
import { conceptsPrompt, instructionsPrompt, promptHash, responsesPrompt, responseText, STOP, SYSTEM } from "../../services/llm/prompts.ts";
import { SeededRng } from "../../services/llm/rng.ts";

const pool = new FewShotPool();

/** What a model that imitates example `e` perfectly would write after the prompt: the text up to the stop sequence. */
function continuation(full: string, prefix: string, stops: string[]): string {
  expect(full.startsWith(prefix)).toBe(true);
  const rest = full.slice(prefix.length);
  const cut = Math.min(...stops.map((s) => (rest.indexOf(s) < 0 ? rest.length : rest.indexOf(s))));
  return rest.slice(0, cut);
}

describe("prompts", () => {
  it("lays out system text, k examples headed '## Example i', then the target ending where the model continues", () => {
    const shots = pool.examples.slice(0, 8);
    const p = conceptsPrompt("def f(x):\n    return x", shots);
    expect(p.startsWith(SYSTEM.concepts)).toBe(true);
    for (let i = 1; i <= 9; i++) expect(p).toContain(`## Example ${i}\n### Snippet\n`);
    expect(p).not.toContain("## Example 10");
    // The reference's layout: the raw seed, no fence, and the prompt rstripped after the heading.
    expect(p.endsWith("## Example 9\n### Snippet\ndef f(x):\n    return x\n\n### Concepts")).toBe(true);

    const q = instructionsPrompt({ category: "class implementation", language: "Python", difficulty: "hard", concepts: ["a", "b"] }, shots);
    expect(q.endsWith("## Example 9\n### Properties\ncategory: class implementation\nlanguage: Python\ndifficulty: hard\nconcepts: a, b\n\n### Task")).toBe(
      true,
    );

    const r = responsesPrompt("Do X.", shots.slice(0, 1));
    expect(r.endsWith("## Example 2\n<instruction>\nDo X.\n</instruction>\n\n<response>")).toBe(true);
    expect(r).toContain("</response>\n\n<tests>\n```python\n");
  });

  it("parses back every few-shot example as if the model had written it (round trip through the layout)", () => {
    for (const e of pool.examples) {
      const c = conceptsPrompt(e.snippet, [e]);
      const cPrefix = conceptsPrompt(e.snippet, []).split("## Example 1\n")[1];
      expect(c).toContain(cPrefix);
      // The shot itself, rendered in full, continues the prefix with exactly its concepts.
      const shot = c.slice(c.indexOf("## Example 1\n") + "## Example 1\n".length);
      const concepts = parseConcepts(continuation(shot, cPrefix, STOP.concepts));
      expect(concepts).toEqual({ ok: true, value: e.concepts });

      const iFull = instructionsPrompt(e, [e]);
      const iShot = iFull.slice(iFull.indexOf("## Example 1\n") + 13);
      const iPrefix = instructionsPrompt(e, []).split("## Example 1\n")[1];
      expect(parseInstruction(continuation(iShot, iPrefix, STOP.instructions))).toEqual({ ok: true, value: e.instruction });

      const rFull = responsesPrompt(e.instruction, [e]);
      const rShot = rFull.slice(rFull.indexOf("## Example 1\n") + 13);
      const rPrefix = responsesPrompt(e.instruction, []).split("## Example 1\n")[1];
      const parsed = parseResponse(continuation(rShot, rPrefix, STOP.responses));
      expect(parsed).toEqual({ ok: true, value: { response: responseText(e), code: e.response.code.trim(), tests: e.tests.trim() } });
    }
  });

  it("hashes the template: stable, distinct per mode, and changed by the pool's content", () => {
    const h = promptHash("concepts", pool);
    expect(h).toBe(promptHash("concepts", new FewShotPool()));
    expect(h).toMatch(/^sca-prompts-v2:[0-9a-f]{16}$/);
    expect(new Set([h, promptHash("instructions", pool), promptHash("responses", pool)]).size).toBe(3);
    const edited = EXAMPLES.map((e, i) => (i === 0 ? { ...e, instruction: e.instruction + " Be brief." } : e));
    expect(promptHash("concepts", new FewShotPool(edited))).not.toBe(h);
  });

  it("samples shots per record deterministically; fixed order gives every request the same prefix", () => {
    const a = pool.pick(8, "random", new SeededRng(3407, "concepts", "x")).map((e) => e.name);
    expect(pool.pick(8, "random", new SeededRng(3407, "concepts", "x")).map((e) => e.name)).toEqual(a);
    expect(pool.pick(8, "random", new SeededRng(3407, "concepts", "y")).map((e) => e.name)).not.toEqual(a);
    expect(new Set(a).size).toBe(8);
    const f1 = conceptsPrompt("def a(): pass", pool.pick(8, "fixed", new SeededRng(1)));
    const f2 = conceptsPrompt("def b(): pass", pool.pick(8, "fixed", new SeededRng(2)));
    const common = f1.slice(0, f1.indexOf("## Example 9"));
    expect(f2.startsWith(common)).toBe(true);
  });

  it("rejects an invalid few-shot example naming the field", () => {
    expect(() => new FewShotPool([{ ...EXAMPLES[0], difficulty: "trivial" }])).toThrow(/example 0 is invalid: difficulty.*"trivial"/);
  });
});

describe("parsers", () => {
  it("concepts: comma list, trimmed, deduplicated, first paragraph only", () => {
    expect(parseConcepts(" recursion, memoization , Recursion, dynamic programming.\n\nnoise")).toEqual({
      ok: true,
      value: ["recursion", "memoization", "dynamic programming"],
    });
    expect(parseConcepts("- hashing\n- sets\n")).toEqual({ ok: true, value: ["hashing", "sets"] });
    expect(parseConcepts("  \n")).toMatchObject({ ok: false, reason: "empty_concepts" });
    expect(parseConcepts("x".repeat(300))).toMatchObject({ ok: false, reason: "bad_concepts" });
  });

  it("instruction: stripped text up to the next section", () => {
    expect(parseInstruction("\nWrite a function f that adds two numbers.\n\n### Properties\nx")).toEqual({
      ok: true,
      value: "Write a function f that adds two numbers.",
    });
    expect(parseInstruction("   ")).toMatchObject({ ok: false, reason: "empty_instruction" });
    expect(parseInstruction("short")).toMatchObject({ ok: false, reason: "bad_instruction" });
  });

  it("response: text, code and tests; each missing part has its own reason", () => {
    const good = "Reason.\n\n```python\ndef f():\n    return 1\n```\n\nDone.\n</response>\n\n<tests>\n```python\nassert f() == 1\n```\n";
    expect(parseResponse(good)).toEqual({
      ok: true,
      value: { response: "Reason.\n\n```python\ndef f():\n    return 1\n```\n\nDone.", code: "def f():\n    return 1", tests: "assert f() == 1" },
    });
    // A server that echoes the stop sequence or runs on into the next example changes nothing.
    expect(parseResponse(good + "</tests>\n\n## Example 3\n<instruction>")).toEqual(parseResponse(good));
    expect(parseResponse("```python\nx=1\n```")).toMatchObject({ ok: false, reason: "missing_response_end" });
    expect(parseResponse("\n</response>")).toMatchObject({ ok: false, reason: "empty_response" });
    expect(parseResponse("just words\n</response>\n<tests>\n```python\nassert 1\n```")).toMatchObject({ ok: false, reason: "no_code_block" });
    expect(parseResponse("```python\nx=1\n```\n</response>\n")).toMatchObject({ ok: false, reason: "missing_tests" });
    expect(parseResponse("```python\nx=1\n```\n</response>\n<tests>\nassert x == 1\n")).toMatchObject({ ok: false, reason: "no_tests_block" });
  });
});
