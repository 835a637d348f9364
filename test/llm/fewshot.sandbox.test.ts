import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EASY_EXAMPLES } from "../../services/llm/fewshot/easy-examples.ts";
import { EXAMPLES } from "../../services/llm/fewshot/examples.ts";
import { FewShotPool } from "../../services/llm/fewshot/pool.ts";
import { parseResponse } from "../../services/llm/parsers.ts";
import { responseText } from "../../services/llm/prompts.ts";
import { createSandbox, programFromResponse, type Sandbox } from "../../services/sandbox/index.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ concurrency: 2 });
});
afterAll(() => sandbox?.close());

describe("few-shot pool", () => {
  it("holds at least 12 distinct, diverse examples", () => {
    const pool = new FewShotPool();
    expect(pool.examples.length).toBeGreaterThanOrEqual(12);
    expect(new Set(pool.examples.map((e) => e.name)).size).toBe(pool.examples.length);
    expect(new Set(pool.examples.map((e) => e.instruction)).size).toBe(pool.examples.length);
    for (const c of ["function implementation", "class implementation", "program implementation"])
      expect(pool.examples.filter((e) => e.category === c).length).toBeGreaterThanOrEqual(3);
    for (const d of ["easy", "medium", "hard"]) expect(pool.examples.filter((e) => e.difficulty === d).length).toBeGreaterThanOrEqual(3);
  });

  it("holds, in its easy pool, short one-function tasks whose tests fit the after-code tests grammar", () => {
    const easy = new FewShotPool(EASY_EXAMPLES);
    expect(easy.examples.length).toBeGreaterThanOrEqual(5);
    for (const e of easy.examples) {
      expect(e).toMatchObject({ category: "function implementation", difficulty: "easy" });
      expect(e.response.code.match(/^def /gm)).toHaveLength(1);
      const name = /^def (\w+)\(/m.exec(e.response.code)?.[1];
      for (const line of e.tests.split("\n")) expect(line).toMatch(new RegExp(`^assert ${name}\\(.*\\) == .+$`));
    }
  });

  // The program is assembled as the execution stage does, from the completion the example teaches.
  it.each([...EXAMPLES, ...EASY_EXAMPLES].map((e) => [e.name, e] as const))(
    "%s: its response passes its own tests in the sandbox, and a broken response fails them",
    async (name, e) => {
      const raw = `${responseText(e)}\n</response>\n\n<tests>\n\`\`\`python\n${e.tests}\n\`\`\`\n`;
      const parsed = parseResponse(raw);
      if (!parsed.ok) throw new Error(`${name}: ${parsed.message}`);
      const ok = await sandbox.run(programFromResponse({ raw, ...parsed.value }));
      expect(ok.stderr_tail).toBe("");
      expect(ok.status).toBe("pass");
      // The tests must be able to fail: with every function returning None they do not pass.
      const broken = parsed.value.code.replace(/^(\s*)def (\w+)\((.*)\):/gm, "$1def $2($3):\n$1    return None");
      const bad = await sandbox.run({ code: broken, tests: parsed.value.tests });
      expect(bad.status).toBe("fail");
    },
  );
});
