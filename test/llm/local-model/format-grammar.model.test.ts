import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FewShotPool } from "../../../services/llm/fewshot/pool.ts";
import { type Generation, generationSettingsFromEnv } from "../../../services/llm/generation.ts";
import { LocalModelEngine } from "../../../services/llm/local-model/engine.ts";
import { parseResponse } from "../../../services/llm/parsers.ts";
import { responsesRequest } from "../../../services/stages/responses/logic.ts";
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
  let engine: LocalModelEngine;
  beforeAll(async () => {
    engine = await LocalModelEngine.load({ modelPath: await installedModelPath(), sequences: 2 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it("holds every sample to a response with well-formed code and tests that assert a call", async () => {
    const g: Generation = {
      mode: "responses",
      settings: generationSettingsFromEnv({ SCA_FORMAT_GRAMMAR: "gbnf", SCA_RESPONSES_SAMPLES: "2", SCA_RESPONSES_MAX_TOKENS: "768" }, "responses"),
      model: "gemma-3-270m-q4_k_m",
      promptHash: "test",
      pool: new FewShotPool(),
    };
    const ins = {
      id: "format-grammar-test",
      instruction: "Write a Python function count_vowels(text) that returns how many vowels (a, e, i, o, u, in either case) the string text holds.",
    } as Instruction;
    const req = responsesRequest(ins, g);
    expect(req.grammar?.gbnf).toBeDefined();
    const tokens = engine.tokenize(req.prompt);
    const samples = await Promise.all(
      Array.from({ length: req.n }, (_, i) =>
        engine.sample(tokens, {
          maxTokens: req.max_tokens,
          temperature: req.temperature,
          topP: 1,
          topK: 0,
          stop: req.stop ?? [],
          seed: req.seed! + i,
          grammar: req.grammar!.gbnf,
        }),
      ),
    );
    for (const s of samples) {
      expect(s.finishReason, s.text).toBe("stop");
      const p = parseResponse(s.text);
      expect(p.ok, s.text).toBe(true);
      if (!p.ok) continue;
      execFileSync("/usr/bin/python3", ["-c", PYTHON_CHECK], { input: JSON.stringify(p.value) });
      const lines = p.value.tests.split("\n");
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(3);
      for (const line of lines) expect(line).toMatch(/^assert [A-Za-z_][\w.]*\(.*\)( == .+)?$/);
    }
  }, 600_000);
});
