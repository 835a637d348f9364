import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { Instruction } from "../../schemas/records.ts";
import { instructionPlan } from "../../services/stages/instructions/logic.ts";
import { createStage } from "../../services/stages/instructions/stage.ts";
import { BAD, conceptsFixture, ctx, GOOD, kit, metricValue } from "../llm/support.ts";
import { startScriptedServer, type ScriptedServer } from "../llm/scripted-server.ts";

let srv: ScriptedServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const concepts = conceptsFixture;

describe("instructions stage (C→I)", () => {
  it("samples category (function implementation 1/2, class and program 1/4 each) and difficulty (1/3 each) per concepts id, reproducibly", () => {
    const k = kit("instructions", "http://127.0.0.1:9/v1");
    const plans = Array.from({ length: 1200 }, (_, i) => instructionPlan(concepts(i), k.gen));
    const share = (f: (p: (typeof plans)[number]) => boolean) => plans.filter(f).length / plans.length;
    expect(share((p) => p.category === "function implementation")).toBeCloseTo(0.5, 1);
    expect(share((p) => p.category === "class implementation")).toBeCloseTo(0.25, 1);
    expect(share((p) => p.category === "program implementation")).toBeCloseTo(0.25, 1);
    for (const d of ["easy", "medium", "hard"]) expect(share((p) => p.difficulty === d)).toBeCloseTo(1 / 3, 1);
    const again = instructionPlan(concepts(7), kit("instructions", "http://127.0.0.1:9/v1").gen);
    expect(again).toEqual(plans[7]);
    const otherRun = instructionPlan(concepts(7), kit("instructions", "http://127.0.0.1:9/v1", { SCA_SEED: "1" }).gen);
    expect(otherRun.req.prompt).not.toBe(plans[7].req.prompt);
  });

  it("draws only the categories and difficulties it is told to, and names a wrong one with its variable", () => {
    const env = { SCA_INSTRUCTIONS_CATEGORIES: "function implementation", SCA_INSTRUCTIONS_DIFFICULTIES: "easy, medium" };
    const k = kit("instructions", "http://127.0.0.1:9/v1", env);
    const plans = Array.from({ length: 300 }, (_, i) => instructionPlan(concepts(i), k.gen));
    expect(new Set(plans.map((p) => p.category))).toEqual(new Set(["function implementation"]));
    expect(new Set(plans.map((p) => p.difficulty))).toEqual(new Set(["easy", "medium"]));
    expect(plans[3].req.prompt).toContain(`category: function implementation\nlanguage: Python\ndifficulty: ${plans[3].difficulty}`);
    expect(() => kit("instructions", "http://127.0.0.1:9/v1", { SCA_INSTRUCTIONS_DIFFICULTIES: "easy,trivial" })).toThrow(
      /SCA_INSTRUCTIONS_DIFFICULTIES: .*\(got "easy,trivial"\)/,
    );
  });

  it("takes its shots from the pool SCA_FEWSHOT_POOL names, which the prompt hash tells apart", () => {
    const easy = kit("instructions", "http://127.0.0.1:9/v1", { SCA_FEWSHOT_POOL: "easy" });
    const plan = instructionPlan(concepts(2), easy.gen);
    expect(plan.req.prompt).toMatch(/Write a Python function (count_vowels|clamp|is_palindrome|has_duplicates|is_sorted|is_leap_year)\(/);
    expect(easy.gen.promptHash).not.toBe(kit("instructions", "http://127.0.0.1:9/v1").gen.promptHash);
    expect(() => kit("instructions", "http://127.0.0.1:9/v1", { SCA_FEWSHOT_POOL: "tiny" })).toThrow(/SCA_FEWSHOT_POOL: .*\(got "tiny"\)/);
  });

  it("writes one Instruction keyed by its own id, carrying the sampled properties, the concepts and the seed", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: GOOD.instructions(0) }) });
    const k = kit("instructions", srv.url);
    const stage = await createStage({}, { kit: k });
    expect(stage).toMatchObject({ name: "instructions", input: "concepts", outputs: ["instructions"] });
    const c = concepts(1);
    const [out] = await stage.process(c, ctx());
    const ins = Instruction.parse(out.value);
    const plan = instructionPlan(c, k.gen);
    expect(out).toMatchObject({ topic: "instructions", key: ins.id });
    expect(ins).toMatchObject({
      concepts_id: c.id,
      concepts: c.concepts,
      seed: c.seed,
      language: "Python",
      category: plan.category,
      difficulty: plan.difficulty,
    });
    expect(ins.instruction).toBe(GOOD.instructions(0).trim());
    const prompt = String(srv.requests[0].body.prompt);
    expect(
      prompt.endsWith(
        `### Properties\ncategory: ${plan.category}\nlanguage: Python\ndifficulty: ${plan.difficulty}\nconcepts: generator expressions, summation\n\n### Task`,
      ),
    ).toBe(true);
    expect(prompt.match(/^## Example \d+$/gm)).toHaveLength(9);
  });

  it("sends an empty task to the DLQ with the raw completion", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: BAD.instructions }) });
    const stage = await createStage({}, { kit: kit("instructions", srv.url) });
    await expect(stage.process(concepts(2), ctx())).rejects.toMatchObject({
      reason: "unparsable_output",
      detail: { reason: "empty_instruction", raw: BAD.instructions },
    });
  });

  it("drops a task cut at max_tokens even though it reads as a task, counted as truncated", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: GOOD.instructions(0), finish_reason: "length" }) });
    const reg = new Registry();
    const stage = await createStage({}, { kit: kit("instructions", srv.url, {}, reg) });
    await expect(stage.process(concepts(3), ctx())).rejects.toMatchObject({
      reason: "truncated_output",
      detail: { reason: "truncated", finish_reason: "length" },
    });
    expect(await metricValue(reg, "sca_llm_truncated_total", { stage: "instructions" })).toBe(1);
  });
});
