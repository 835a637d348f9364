import { execFileSync } from "node:child_process";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlmClient } from "../../../services/llm/client.ts";
import { llmConfigFromEnv } from "../../../services/llm/config.ts";
import { FewShotPool } from "../../../services/llm/fewshot/pool.ts";
import { type Generation, generationSettingsFromEnv } from "../../../services/llm/generation.ts";
import { type LocalModelServer, startLocalModelServer } from "../../../services/llm/local-model/server.ts";
import { parseResponse } from "../../../services/llm/parsers.ts";
import { testableNames } from "../../../services/llm/format-grammar.ts";
import { responsesRequest } from "../../../services/stages/responses/logic.ts";
import { createStage } from "../../../services/stages/responses/stage.ts";
import { Response } from "../../../schemas/records.ts";
import { ctx, instructionFixture, kit } from "../support.ts";
import type { Instruction } from "../../../schemas/records.ts";
import { installedModelPath } from "./model-env.ts";

// What the responses grammar promises about layout, checked by Python itself: the code tokenizes
// (brackets balance, strings close, indentation is consistent) and the tests parse.
const PYTHON_CHECK = String.raw`
import ast, io, json, sys, tokenize
r = json.load(sys.stdin)
list(tokenize.generate_tokens(io.StringIO(r["code"] + "\n").readline))
ast.parse(r["tests"])
`;

describe("the responses format grammar on the real Gemma 3 270M", () => {
  let server: LocalModelServer;
  beforeAll(async () => {
    server = await startLocalModelServer({ modelPath: await installedModelPath(), sequences: 2, log: pino({ level: "silent" }) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("holds every sample to a response with well-formed code and tests that assert a call", async () => {
    const g: Generation = {
      mode: "responses",
      settings: generationSettingsFromEnv({ SCA_FORMAT_GRAMMAR: "gbnf", SCA_RESPONSES_SAMPLES: "2", SCA_RESPONSES_MAX_TOKENS: "768" }, "responses"),
      model: server.model,
      promptHash: "test",
      pool: new FewShotPool(),
    };
    const ins = {
      id: "format-grammar-test",
      instruction: "Write a Python function count_vowels(text) that returns how many vowels (a, e, i, o, u, in either case) the string text holds.",
    } as Instruction;
    const req = responsesRequest(ins, g);
    expect(req.grammar?.gbnf).toBeDefined();
    // Through the client and the server the responses stage uses: the grammar travels as guided_grammar.
    const llm = new LlmClient(llmConfigFromEnv({ LLM_BASE_URL: server.baseURL, LLM_MODEL: server.model }), { registry: new Registry() });
    const { choices } = await llm.complete(req, { stage: "responses" });
    expect(choices).toHaveLength(req.n);
    for (const c of choices) {
      expect(c.finish_reason, c.text).toBe("stop");
      const p = parseResponse(c.text);
      expect(p.ok, c.text).toBe(true);
      if (!p.ok) continue;
      execFileSync("/usr/bin/python3", ["-c", PYTHON_CHECK], { input: JSON.stringify(p.value) });
      const lines = p.value.tests.split("\n");
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(3);
      for (const line of lines) expect(line).toMatch(/^assert [A-Za-z_][\w.]*\(.*\)( == .+)?$/);
    }
  }, 600_000);

  it("after-code: each sample's tests call only the function its own code defines, asserting equality with a literal", async () => {
    const env = {
      LLM_MODEL: server.model,
      SCA_FORMAT_GRAMMAR: "gbnf",
      SCA_RESPONSES_TESTS: "after-code",
      SCA_TESTS_TEMPERATURE: "0.2",
      SCA_RESPONSES_SAMPLES: "2",
    };
    const stage = await createStage({}, { kit: kit("responses", server.baseURL, { ...env, SCA_RESPONSES_MAX_TOKENS: "768" }) });
    const ins = {
      ...instructionFixture(1),
      instruction: "Write a Python function is_even(n) that returns True when the integer n is even and False otherwise.",
    };
    const out = await stage.process(ins, ctx());
    const responses = out.filter((o) => o.topic === "responses").map((o) => Response.parse(o.value));
    expect(responses.length, JSON.stringify(out)).toBeGreaterThanOrEqual(1);
    for (const r of responses) {
      execFileSync("/usr/bin/python3", ["-c", PYTHON_CHECK], { input: JSON.stringify(r) });
      // One definition, and every test calls it by name: no name the code does not define.
      expect(r.code.match(/^def /gm), r.code).toHaveLength(1);
      const [name] = testableNames(r.code);
      for (const line of r.tests.split("\n")) expect(line.startsWith(`assert ${name}(`) && / == (?!None$).+$/.test(line), line).toBe(true);
    }
  }, 600_000);
});
