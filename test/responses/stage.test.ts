import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { DlqEnvelope, Response } from "../../schemas/records.ts";
import { afterCodeGrammarId, CODE_GRAMMAR, FORMAT_GRAMMAR, grammarId, testsGrammar } from "../../services/llm/format-grammar.ts";
import { createStage } from "../../services/stages/responses/stage.ts";
import { BAD, ctx, GOOD, instructionFixture, kit, metricValue } from "../llm/support.ts";
import { startScriptedServer, type ScriptedServer } from "../llm/scripted-server.ts";

let srv: ScriptedServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const instruction = instructionFixture;

describe("responses stage (I→R)", () => {
  it("asks for n=10 samples with 1 shot and stops at </tests>, and emits one Response per sample keyed by instruction id", async () => {
    srv = await startScriptedServer({ respond: (r) => ({ texts: Array.from({ length: r.body.n ?? 1 }, (_, i) => GOOD.responses(i)) }) });
    const stage = await createStage({}, { kit: kit("responses", srv.url) });
    expect(stage).toMatchObject({ name: "responses", input: "instructions", outputs: ["responses", "instructions.dlq"] });
    const ins = instruction(1);
    const out = await stage.process(ins, ctx());
    expect(out).toHaveLength(10);
    const rs = out.map((o) => {
      expect(o).toMatchObject({ topic: "responses", key: ins.id });
      return Response.parse(o.value);
    });
    expect(rs.map((r) => r.sample_index)).toEqual([...Array(10).keys()]);
    expect(new Set(rs.map((r) => r.id)).size).toBe(10);
    expect(rs[3]).toMatchObject({
      instruction_id: ins.id,
      n_samples: 10,
      instruction: ins.instruction,
      seed: ins.seed,
      category: ins.category,
      difficulty: ins.difficulty,
      finish_reason: "stop",
    });
    expect(rs[3].code).toBe("def sum_of_cubes(xs):\n    return sum(x ** 3 for x in xs)");
    expect(rs[3].tests).toBe("assert sum_of_cubes([1, 2]) == 9");
    expect(rs[3].response).toContain("(sample 3)");
    expect(srv.requests[0].body).toMatchObject({ n: 10, stop: ["## Example", "</tests>"], temperature: 0.7, max_tokens: 1536 });
    expect(String(srv.requests[0].body.prompt).match(/^## Example \d+$/gm)).toHaveLength(2);
    // Unconstrained by default: a GPU server gets exactly the reference's request.
    expect(srv.requests[0].body).not.toHaveProperty("guided_grammar");
    expect(srv.requests[0].body).not.toHaveProperty("repetition_penalty");
    expect(rs[3].lineage.sampling).not.toHaveProperty("grammar");
  });

  it("with SCA_FORMAT_GRAMMAR=gbnf sends the responses grammar as guided_grammar and names it in lineage", async () => {
    srv = await startScriptedServer({ respond: (r) => ({ texts: Array.from({ length: r.body.n ?? 1 }, (_, i) => GOOD.responses(i)) }) });
    const stage = await createStage(
      {},
      { kit: kit("responses", srv.url, { SCA_FORMAT_GRAMMAR: "gbnf", LLM_REPETITION_PENALTY: "1.1", SCA_RESPONSES_SAMPLES: "2" }) },
    );
    const out = await stage.process(instruction(7), ctx());
    expect(srv.requests[0].body).toMatchObject({ guided_grammar: FORMAT_GRAMMAR.responses, repetition_penalty: 1.1, stop: ["## Example", "</tests>"] });
    const r = Response.parse(out[0].value);
    expect(r.lineage.sampling).toMatchObject({ grammar: grammarId("responses"), repetition_penalty: 1.1 });
    expect(grammarId("responses")).toMatch(/^sca-gbnf-v2:[0-9a-f]{16}$/);
  });

  it("with SCA_RESPONSES_TESTS=after-code samples the code, then per sample tests that may call only the functions it defines", async () => {
    const code = [
      "\nSum the cubes.\n\n```python\ndef sum_of_cubes(xs):\n    return sum(x ** 3 for x in xs)\n```\n",
      // Only a method: nothing a test can call.
      "\nA method.\n\n```python\ndef area(self):\n    return 1\n```\n",
    ];
    const testsText = "\nIt sums.\n</response>\n\n<tests>\n```python\nassert sum_of_cubes([1, 2]) == 9\n```\n";
    srv = await startScriptedServer({
      respond: (r) => (r.body.guided_grammar === CODE_GRAMMAR ? { texts: code } : { text: testsText }),
    });
    const env = { SCA_FORMAT_GRAMMAR: "gbnf", SCA_RESPONSES_TESTS: "after-code", SCA_TESTS_TEMPERATURE: "0.2", SCA_RESPONSES_SAMPLES: "2" };
    const stage = await createStage({}, { kit: kit("responses", srv.url, env) });
    const ins = instruction(8);
    const out = await stage.process(ins, ctx());
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[0].body).toMatchObject({ n: 2, temperature: 0.7, guided_grammar: CODE_GRAMMAR });
    const tests = srv.requests[1].body;
    expect(tests).toMatchObject({ n: 1, temperature: 0.2, guided_grammar: testsGrammar(["sum_of_cubes"]) });
    // The tests continue the prompt and the sample's own code.
    expect(String(tests.prompt).endsWith(`<response>${code[0]}`)).toBe(true);
    const r = Response.parse(out[0].value);
    expect(r).toMatchObject({ code: "def sum_of_cubes(xs):\n    return sum(x ** 3 for x in xs)", tests: "assert sum_of_cubes([1, 2]) == 9", n_samples: 1 });
    expect(r.raw).toBe(code[0] + testsText);
    expect(r.lineage.sampling).toMatchObject({ grammar: afterCodeGrammarId(), temperature: 0.7, tests_temperature: 0.2 });
    const dlq = DlqEnvelope.parse(out[1].value);
    expect(dlq).toMatchObject({ reason: "unparsable_output", detail: { reason: "untestable", choice_index: 1 } });
    expect(dlq.error).toContain("defines no function a test can call");
  });

  it("with SCA_TESTS_PER_CODE draws several tests per code, each pairing a sample of its own, recorded in lineage", async () => {
    const code = ["\nSquare it.\n\n```python\ndef square(x):\n    return x * x\n```\n", "\nA method.\n\n```python\ndef area(self):\n    return 1\n```\n"];
    const tests = [2, 3, 4].map((v) => `\nIt squares.\n</response>\n\n<tests>\n\`\`\`python\nassert square(${v}) == ${v * v}\n\`\`\`\n`);
    srv = await startScriptedServer({ respond: (r) => (r.body.guided_grammar === CODE_GRAMMAR ? { texts: code } : { texts: tests }) });
    const env = { SCA_FORMAT_GRAMMAR: "gbnf", SCA_RESPONSES_TESTS: "after-code", SCA_TESTS_PER_CODE: "3", SCA_RESPONSES_SAMPLES: "2" };
    const stage = await createStage({}, { kit: kit("responses", srv.url, env) });
    const out = await stage.process(instruction(9), ctx());
    // One tests request for the code that defines a function, asking for 3 draws.
    expect(srv.requests.map((r) => r.body.n)).toEqual([2, 3]);
    const rs = out.filter((o) => o.topic === "responses").map((o) => Response.parse(o.value));
    expect(rs.map((r) => r.tests)).toEqual(["assert square(2) == 4", "assert square(3) == 9", "assert square(4) == 16"]);
    expect(rs.map((r) => [r.sample_index, r.n_samples])).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
    expect(new Set(rs.map((r) => r.id)).size).toBe(3);
    expect(rs.every((r) => r.code === "def square(x):\n    return x * x")).toBe(true);
    expect(rs[0].lineage.sampling).toMatchObject({ n: 2, tests_per_code: 3 });
    // The method-only code is one failed sample, named by its index among all pairings.
    const dlq = out.filter((o) => o.topic === "instructions.dlq").map((o) => DlqEnvelope.parse(o.value));
    expect(dlq.map((d) => d.detail?.choice_index)).toEqual([3]);
  });

  it("refuses after-code tests without the format grammar, naming both settings", () => {
    expect(() => kit("responses", "http://127.0.0.1:1", { SCA_RESPONSES_TESTS: "after-code" })).toThrow(
      /SCA_RESPONSES_TESTS=after-code needs SCA_FORMAT_GRAMMAR=gbnf \(got "off"\)/,
    );
  });

  it("keeps the parsable samples (renumbered, n_samples = how many parsed) and DLQs each unparsable one with its raw text", async () => {
    const texts = Array.from({ length: 10 }, (_, i) => ([2, 5, 9].includes(i) ? BAD.responses : GOOD.responses(i)));
    srv = await startScriptedServer({ respond: () => ({ texts }) });
    const reg = new Registry();
    const stage = await createStage({}, { kit: kit("responses", srv.url, {}, reg) });
    const ins = instruction(2);
    const out = await stage.process(ins, ctx(2));
    const rs = out.filter((o) => o.topic === "responses").map((o) => Response.parse(o.value));
    const dlq = out.filter((o) => o.topic === "instructions.dlq").map((o) => DlqEnvelope.parse(o.value));
    expect(rs.map((r) => [r.sample_index, r.n_samples])).toEqual([...Array(7).keys()].map((i) => [i, 7]));
    expect(rs.map((r) => r.response.match(/sample (\d)/)?.[1])).toEqual(["0", "1", "3", "4", "6", "7", "8"]);
    expect(dlq.map((d) => d.detail?.choice_index)).toEqual([2, 5, 9]);
    expect(dlq[0]).toMatchObject({
      source_topic: "instructions",
      key: ins.id,
      stage: "responses",
      reason: "unparsable_output",
      attempts: 2,
      detail: { raw: BAD.responses, reason: "missing_response_end" },
    });
    expect(JSON.parse(Buffer.from(dlq[0].value_base64, "base64").toString())).toEqual(ins);
    expect(await metricValue(reg, "sca_llm_parse_failures_total", { stage: "responses", reason: "missing_response_end" })).toBe(3);
  });

  it("a truncated completion (finish_reason length) never becomes a record: DLQ'd as truncated and counted apart", async () => {
    srv = await startScriptedServer({
      respond: (r) =>
        String(r.body.prompt).includes("TRUNCATE")
          ? { texts: [GOOD.responses(0), GOOD.responses(1)], finish_reason: "length" }
          : { texts: [GOOD.responses(0), GOOD.responses(1)] },
    });
    const reg = new Registry();
    const stage = await createStage({}, { kit: kit("responses", srv.url, { SCA_RESPONSES_SAMPLES: "2" }, reg) });
    const ins = { ...instruction(5), instruction: `${instruction(5).instruction} TRUNCATE` };
    await expect(stage.process(ins, ctx())).rejects.toMatchObject({ reason: "truncated_output", detail: { reasons: ["truncated", "truncated"] } });
    expect(await metricValue(reg, "sca_llm_truncated_total", { stage: "responses" })).toBe(2);
    expect(await metricValue(reg, "sca_llm_parse_failures_total", { stage: "responses", reason: "truncated" })).toBe(0);
    expect((await stage.process(instruction(6), ctx())).filter((o) => o.topic === "responses")).toHaveLength(2);
  });

  it("ids depend on the sample's own index, not on which others parsed", async () => {
    let bad = false;
    srv = await startScriptedServer({ respond: () => ({ texts: [bad ? BAD.responses : GOOD.responses(0), GOOD.responses(1)] }) });
    const stage = await createStage({}, { kit: kit("responses", srv.url, { SCA_RESPONSES_SAMPLES: "2" }) });
    const all = (await stage.process(instruction(3), ctx())).map((o) => Response.parse(o.value));
    bad = true;
    const some = (await stage.process(instruction(3), ctx())).filter((o) => o.topic === "responses").map((o) => Response.parse(o.value));
    expect(some).toHaveLength(1);
    expect(some[0].id).toBe(all[1].id);
  });

  it("sends the instruction to the DLQ when no sample parses", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: BAD.responses }) });
    const stage = await createStage({}, { kit: kit("responses", srv.url, { SCA_RESPONSES_SAMPLES: "3" }) });
    await expect(stage.process(instruction(4), ctx())).rejects.toMatchObject({
      name: "PoisonError",
      reason: "unparsable_output",
      detail: { raws: [BAD.responses, BAD.responses, BAD.responses] },
    });
  });
});
