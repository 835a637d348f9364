import { describe, expect, it } from "vitest";
import { reasonsOf } from "../../services/pipeline/dlq-reasons.ts";
import { formatEta } from "../../services/pipeline/progress.ts";
import { dlqSummary, zeroRowCause } from "../../services/pipeline/run-summary.ts";
import type { StageProgress } from "../../services/pipeline/stage-progress.ts";
import { statsFrom } from "../../services/stages/sink/stats.ts";

const local = { local: true, maxTokens: { concepts: 320, instructions: 320, responses: 320 } };
const stage = (s: string, input: string, done: number, dlq = 0, lag = 0): StageProgress => ({ stage: s, input, total: done + lag, done, lag, dlq });

describe("end-of-run summary", () => {
  it("reads a whole instruction's envelope as its samples' reasons", () => {
    const base = {
      source_topic: "instructions",
      partition: 0,
      offset: "0",
      key: "k",
      value_base64: "",
      stage: "responses",
      reason: "unparsable_output" as const,
      error: "",
      attempts: 1,
      failed_at: "",
    };
    expect(reasonsOf({ ...base, detail: { reasons: ["truncated", "truncated", "no_code_block"] } })).toEqual(["truncated", "truncated", "no_code_block"]);
    expect(reasonsOf({ ...base, detail: { reason: "missing_tests" } })).toEqual(["missing_tests"]);
    expect(reasonsOf({ ...base, reason: "retries_exhausted" })).toEqual(["retries_exhausted"]);
  });

  it("names the DLQ reasons in words with the fix, and why a run with truncated responses has no row", () => {
    const dlq = [
      { stage: "responses", reason: "truncated", count: 8 },
      { stage: "responses", reason: "no_code_block", count: 1 },
    ];
    expect(dlqSummary(dlq, local)).toEqual([
      "responses: 8 samples cut off at 320 tokens: raise --max-tokens",
      "responses: 1 sample with no fenced code block in the response (the model did not follow the format): a larger model (--llm-base-url URL --llm-model NAME)",
    ]);
    const progress = [
      stage("concepts", "seeds", 2),
      stage("instructions", "concepts", 2),
      stage("responses", "instructions", 2, 2),
      stage("verdicts", "responses", 0),
    ];
    const stats = statsFrom([], { seeds: 2, concepts: 2, instructions: 2, responses: 0, "instructions.dlq": 2 });
    expect(zeroRowCause(progress, stats, 0, dlq, local)).toBe(
      "responses let nothing through: every input went to its DLQ; most often 8 samples cut off at 320 tokens: raise --max-tokens",
    );
  });

  it("says so when samples were judged and none passed, and when there were no seeds", () => {
    const progress = [stage("responses", "instructions", 1), stage("verdicts", "responses", 2)];
    const stats = statsFrom([], { seeds: 1, responses: 2, verdicts: 2 });
    stats.verdicts = { fail: 1, timeout: 1 };
    expect(zeroRowCause(progress, stats, 0, [], local)).toMatch(/^none of the 2 samples judged passed its own tests \(fail 1, timeout 1\): /);
    expect(zeroRowCause([], statsFrom([], {}), 0, [], local)).toMatch(/^no seed function reached the pipeline/);
    expect(zeroRowCause(progress, stats, 3, [], local)).toBeUndefined();
  });

  it("an ETA is '-' until a stage has a rate, never NaN or Infinity", () => {
    expect(formatEta(5, 0)).toBe("-");
    expect(formatEta(5, Number.NaN)).toBe("-");
    expect(formatEta(0, 2)).toBe("-");
    expect(formatEta(10, 2)).toBe("5s");
    expect(formatEta(600, 1)).toBe("10m");
  });
});
