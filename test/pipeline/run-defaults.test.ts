import { describe, expect, it } from "vitest";
import { defaultsFor } from "../../services/pipeline/run-options.ts";

describe("sca run's defaults per LLM", () => {
  it("leaves a real server's run as the reference has it: no grammar, no per-stage budgets, 10 x 10", () => {
    expect(defaultsFor(false, {})).toEqual({ limit: 10, samples: 10, env: {} });
  });

  it("holds the local CPU model to the format grammars, with its own budgets and shots", () => {
    const d = defaultsFor(true, {});
    expect(d.env).toMatchObject({ SCA_FORMAT_GRAMMAR: "gbnf", LLM_MAX_TOKENS: "320", SCA_RESPONSES_MAX_TOKENS: "768", SCA_RESPONSES_SHOTS: "1" });
    expect(d.env).toMatchObject({ SCA_RESPONSES_TESTS: "after-code", SCA_TESTS_PER_CODE: "3", LLM_TIMEOUT_MS: "3600000" });
    expect(d).toMatchObject({ limit: 10, samples: 4 });
    expect(d.env).toMatchObject({ SCA_FEWSHOT_POOL: "easy", SCA_INSTRUCTIONS_CATEGORIES: "function implementation", SCA_INSTRUCTIONS_DIFFICULTIES: "easy" });
  });

  it("lets the user's own settings win", () => {
    const d = defaultsFor(true, { SCA_FORMAT_GRAMMAR: "off", LLM_MAX_TOKENS: "900", SCA_FEWSHOT_POOL: "default" });
    expect(d.env).not.toHaveProperty("SCA_FEWSHOT_POOL");
    expect(d.env).not.toHaveProperty("SCA_FORMAT_GRAMMAR");
    // After-code tests need the grammar the user turned off.
    expect(d.env).not.toHaveProperty("SCA_RESPONSES_TESTS");
    expect(d.env).not.toHaveProperty("LLM_MAX_TOKENS");
    expect(d.env).not.toHaveProperty("SCA_RESPONSES_MAX_TOKENS");
  });
});
