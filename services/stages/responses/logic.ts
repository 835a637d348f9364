/** I→R: the base model answers a task n times, each sample with its own tests. Pure: no I/O. */
import { contentId } from "../../../schemas/common.ts";
import type { DlqEnvelope, Instruction, Response } from "../../../schemas/records.ts";
import type { CompletionChoice, CompletionRequest } from "../../llm/client.ts";
import { afterCodeGrammarId, testableNames, testsGrammar } from "../../llm/format-grammar.ts";
import { constraintsFor, type Generation, idParams, lineageFor } from "../../llm/generation.ts";
import { fencedBlocks, type Parsed, parseResponse, truncation } from "../../llm/parsers.ts";
import { responsesPrompt, STOP } from "../../llm/prompts.ts";
import { deriveSeed, SeededRng } from "../../llm/rng.ts";

export function responsesRequest(ins: Instruction, g: Generation): CompletionRequest {
  const s = g.settings;
  const shots = g.pool.pick(s.shots, s.shotOrder, new SeededRng(s.runSeed, "responses", ins.id));
  return {
    prompt: responsesPrompt(ins.instruction, shots),
    n: s.samples,
    max_tokens: s.maxTokens,
    temperature: s.temperature,
    stop: STOP.responses,
    ...constraintsFor("responses", s),
    seed: deriveSeed(s.runSeed, "responses", ins.id),
  };
}

type Failure = Extract<Parsed<unknown>, { ok: false }>;

/**
 * After-code tests (SCA_RESPONSES_TESTS=after-code): the request that continues sample `i`'s code
 * with its tests, held to a grammar that lets them call only the functions that code defines; or
 * why there is none (the code was cut off, or defines nothing a test can call).
 */
export function testsRequest(
  ins: Instruction,
  req: CompletionRequest,
  code: CompletionChoice,
  i: number,
): { request: CompletionRequest } | { failure: Failure } {
  const cut = truncation(code.finish_reason);
  if (cut) return { failure: cut };
  // the blocks parseResponse will take for the response's code, once the tests are appended
  const names = testableNames(fencedBlocks(code.text).join("\n\n"));
  if (names.length === 0) return { failure: { ok: false, reason: "untestable", message: "the code defines no function a test can call" } };
  return {
    request: {
      prompt: req.prompt + code.text,
      n: req.tests_per_code ?? 1,
      max_tokens: req.max_tokens,
      temperature: req.tests_temperature ?? req.temperature,
      stop: req.stop,
      grammar: { id: req.grammar?.id ?? afterCodeGrammarId(), gbnf: testsGrammar(names) },
      seed: deriveSeed(req.seed ?? 0, "tests", ins.id, i),
    },
  };
}

/**
 * The samples of after-code decoding: each code completion followed by each of its tests
 * completions, in code order (with one tests draw per code, sample i is code i), and for each
 * why it already failed, if it did (a code without tests request stays one failed sample).
 */
export function joinTests(
  codes: readonly CompletionChoice[],
  found: ReadonlyArray<ReturnType<typeof testsRequest>>,
  tests: ReadonlyArray<readonly CompletionChoice[] | undefined>,
): { choices: CompletionChoice[]; found: Array<Failure | undefined> } {
  const pairs = codes.flatMap((code, i) => {
    const f = found[i];
    if ("failure" in f) return [{ choice: code, failure: f.failure as Failure | undefined }];
    return (tests[i] ?? []).map((t) => ({ choice: { text: code.text + t.text, finish_reason: t.finish_reason }, failure: undefined }));
  });
  return { choices: pairs.map((p) => p.choice), found: pairs.map((p) => p.failure) };
}

export interface SampleFailure {
  /** index of the choice in the server's answer */
  choice_index: number;
  failure: Failure;
  choice: CompletionChoice;
}

/**
 * One record per parsable sample (`found[i]`: why sample i already failed before parsing, if it
 * did). The parsable ones are numbered 0..k-1 and all carry n_samples = k, so the selector knows
 * how many verdicts to wait for; ids hash the choice's own index, so they do not depend on which
 * other samples parsed.
 */
export function responseRecords(
  ins: Instruction,
  req: CompletionRequest,
  choices: CompletionChoice[],
  g: Generation,
  now: Date,
  found: ReadonlyArray<Failure | undefined> = [],
): { responses: Response[]; failures: SampleFailure[] } {
  const parsed = choices.map((choice, i) => ({ choice, i, p: found[i] ?? truncation(choice.finish_reason) ?? parseResponse(choice.text) }));
  const good = parsed.filter((x) => x.p.ok);
  const failures = parsed.flatMap((x) => (x.p.ok ? [] : [{ choice_index: x.i, failure: x.p, choice: x.choice }]));
  const lineage = lineageFor(g, req, now);
  const responses = good.map(({ choice, i, p }, k): Response => {
    const r = (p as Extract<typeof p, { ok: true }>).value;
    return {
      id: contentId({ parent: ins.id, stage: "responses", params: idParams(g, req), sample: i }),
      instruction_id: ins.id,
      sample_index: k,
      n_samples: good.length,
      instruction: ins.instruction,
      seed: ins.seed,
      concepts: ins.concepts,
      category: ins.category,
      difficulty: ins.difficulty,
      response: r.response,
      code: r.code,
      tests: r.tests,
      raw: choice.text,
      finish_reason: choice.finish_reason,
      lineage,
    };
  });
  return { responses, failures };
}

/**
 * The DLQ record for one unparsable sample of an instruction whose other samples went on: the
 * input was processed, so there is no transport position to name (partition -1, offset "-1");
 * the original record and the raw completion are kept for inspection and replay.
 */
export function sampleDlqEnvelope(ins: Instruction, f: SampleFailure, reason: string, attempts: number, now: Date): DlqEnvelope {
  return {
    source_topic: "instructions",
    partition: -1,
    offset: "-1",
    key: ins.id,
    value_base64: Buffer.from(JSON.stringify(ins)).toString("base64"),
    stage: "responses",
    reason: reason === "truncated" ? "truncated_output" : "unparsable_output",
    error: `responses: sample ${f.choice_index} ${reason === "truncated" ? "truncated" : `unparsable (${reason})`}: ${f.failure.message}`,
    attempts,
    failed_at: now.toISOString(),
    detail: { reason, choice_index: f.choice_index, raw: f.choice.text, finish_reason: f.choice.finish_reason },
  };
}
