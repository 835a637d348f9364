import type { DatasetStats } from "../stages/sink/stats.ts";
import type { DlqReasonCount } from "./dlq-reasons.ts";
import type { StageProgress } from "./stage-progress.ts";

/** What the summary needs to know about the run's settings to name a fix. */
export interface SummarySettings {
  /** max_tokens the LLM stages asked for, per stage */
  maxTokens: Record<string, number>;
  /** the run used the local CPU model (fixes differ: a bigger model means a server) */
  local: boolean;
}

const FORMAT_FAILURES: Record<string, string> = {
  missing_response_end: "no </response>",
  empty_response: "an empty response",
  no_code_block: "no fenced code block in the response",
  missing_tests: "no <tests> section",
  no_tests_block: "no fenced code block in the tests",
  empty_concepts: "no concept list",
  bad_concepts: "an implausible concept list",
  empty_instruction: "no task",
  bad_instruction: "an implausible task",
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One DLQ reason in words, with what to do about it. */
export function describeReason(r: DlqReasonCount, s: SummarySettings): string {
  const unit = r.stage === "responses" ? "sample" : ["concepts", "instructions"].includes(r.stage) ? "completion" : "record";
  const bigger = s.local ? "a larger model (--llm-base-url URL --llm-model NAME)" : "a stronger model or more few-shot examples";
  const what = ((): string => {
    if (r.reason === "truncated") return `${plural(r.count, unit)} cut off at ${s.maxTokens[r.stage] ?? "max"} tokens: raise --max-tokens`;
    const format = FORMAT_FAILURES[r.reason];
    if (format) return `${plural(r.count, unit)} with ${format} (the model did not follow the format): ${bigger}`;
    switch (r.reason) {
      case "unparsable_output":
        return `${plural(r.count, unit)} the parser could not read: ${bigger}`;
      case "retries_exhausted":
        return `${plural(r.count, "record")} failed on every attempt (server or sandbox errors, see run.log): check them, then \`sca dlq\` or a rerun`;
      case "poison":
        return `${plural(r.count, "request")} the LLM server rejected (see run.log): check --llm-model and the server's context length`;
      case "schema_invalid":
      case "undecodable":
        return `${plural(r.count, "record")} that do not match the schema: check the --seeds file`;
      default:
        return `${plural(r.count, unit)}: ${r.reason}`;
    }
  })();
  return `${r.stage}: ${what}`;
}

/** The DLQ lines of the end-of-run summary: the top reasons of every stage. */
export function dlqSummary(dlq: DlqReasonCount[], s: SummarySettings, perStage = 3): string[] {
  const shown = new Map<string, number>();
  return dlq.filter((r) => (shown.set(r.stage, (shown.get(r.stage) ?? 0) + 1).get(r.stage) ?? 0) <= perStage).map((r) => describeReason(r, s));
}

const OUTPUT_OF: Record<string, string> = { concepts: "concepts", instructions: "instructions", responses: "responses", verdicts: "verdicts" };

/**
 * Why a run ended with no row, read off the funnel from the first stage that let nothing through,
 * and the next step. Undefined when there are rows.
 */
export function zeroRowCause(progress: StageProgress[], stats: DatasetStats, rows: number, dlq: DlqReasonCount[], s: SummarySettings): string | undefined {
  if (rows > 0) return undefined;
  const t = stats.topics;
  if ((t.seeds ?? 0) === 0) return "no seed function reached the pipeline: give a corpus with Python functions (or --seeds FILE)";
  const stopped = progress.find((p) => p.lag > 0);
  if (stopped) return `the run stopped with ${plural(stopped.lag, "record")} still waiting for ${stopped.stage}: rerun the same command to resume`;
  for (const p of progress) {
    const out = OUTPUT_OF[p.stage];
    if (!out || p.done === 0 || (t[out] ?? 0) > 0) continue;
    const top = dlq.find((r) => r.stage === p.stage);
    return `${p.stage} let nothing through: every input went to its DLQ${top ? `; most often ${describeReason(top, s).slice(p.stage.length + 2)}` : ""}`;
  }
  const judged = Object.values(stats.verdicts).reduce((a, b) => a + (b ?? 0), 0);
  const passed = stats.verdicts.pass ?? 0;
  if (judged > 0 && passed === 0) {
    const how = Object.entries(stats.verdicts)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    return `none of the ${plural(judged, "sample")} judged passed its own tests (${how}): ${s.local ? "the small CPU model rarely writes a program and tests that agree; raise --limit/--samples, or use a larger model (--llm-base-url URL --llm-model NAME)" : "raise --samples, or use a stronger model"}`;
  }
  if (stats.outcomes.contaminated > 0 && stats.outcomes.selected === 0)
    return "every passing response matched a benchmark problem (contaminated): use other seeds";
  if (stats.outcomes.selected > 0) return "every selected pair was a duplicate of an exported instruction";
  return "no instruction was decided yet: rerun the same command to resume";
}
