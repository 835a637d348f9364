/**
 * Parsers for the three completions. Each returns the parsed value or a failure with a short,
 * fixed reason (a metric label) and a message; none throws on model output, however odd.
 */
import { z } from "zod";

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; message: string };

const fail = (reason: string, message: string) => ({ ok: false as const, reason, message });

/** Servers that ignore or echo stop sequences still must not leak the next example into a record. */
function cutAtStops(text: string, stops: string[]): string {
  let end = text.length;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

/**
 * The reference keeps only completions that ended at a stop sequence: one cut at max_tokens (or for
 * any other reason) is dropped even when what it holds happens to parse. A server that does not
 * report a finish reason (null) is taken at its word.
 */
export function truncation(finishReason: string | null): Extract<Parsed<never>, { ok: false }> | null {
  return finishReason === null || finishReason === "stop"
    ? null
    : fail("truncated", `the completion ended with finish_reason "${finishReason}", not at a stop sequence`);
}

const ConceptList = z.array(z.string().min(1).max(200)).min(1).max(40);

/** S→C: a comma-separated list of concepts on the first paragraph. */
export function parseConcepts(raw: string): Parsed<string[]> {
  const para =
    cutAtStops(raw, ["## Example", "\n#"])
      .trim()
      .split(/\n\s*\n/)[0] ?? "";
  const seen = new Map<string, string>();
  for (const piece of para.split(/,|\n/)) {
    const c = piece
      .replace(/^\s*[-*•]\s*/, "")
      .trim()
      .replace(/\.$/, "")
      .trim();
    if (c && !seen.has(c.toLowerCase())) seen.set(c.toLowerCase(), c);
  }
  const r = ConceptList.safeParse([...seen.values()]);
  if (r.success) return { ok: true, value: r.data };
  if (seen.size === 0) return fail("empty_concepts", "the completion holds no concept");
  return fail("bad_concepts", `the concept list is not plausible: ${r.error.issues[0]?.message}`);
}

const InstructionText = z.string().min(10).max(8000);

/** C→I: the task text, up to the next section heading. */
export function parseInstruction(raw: string): Parsed<string> {
  const text = cutAtStops(raw, ["## Example", "\n### "]).trim();
  if (!text) return fail("empty_instruction", "the completion holds no task");
  const r = InstructionText.safeParse(text);
  return r.success ? { ok: true, value: r.data } : fail("bad_instruction", `the task is not plausible (${text.length} chars): ${r.error.issues[0]?.message}`);
}

export interface ParsedResponse {
  /** the response text the dataset holds (between <response> and </response>) */
  response: string;
  /** every fenced code block of the response, joined */
  code: string;
  /** the fenced code of the tests section */
  tests: string;
}

const FENCE = /```[^\n`]*\n([\s\S]*?)```/g;

/** The non-empty fenced code blocks of a text, whatever their tag, trimmed. */
export function fencedBlocks(text: string): string[] {
  return [...text.matchAll(FENCE)].map((m) => m[1].trim()).filter((b) => b.length > 0);
}

/** I→R: the completion continues after "<response>\n" and stops before "</tests>". */
export function parseResponse(raw: string): Parsed<ParsedResponse> {
  const text = cutAtStops(raw, ["## Example", "</tests>"]);
  const end = text.indexOf("</response>");
  if (end < 0) return fail("missing_response_end", "no </response> in the completion");
  const response = text.slice(0, end).trim();
  if (!response) return fail("empty_response", "the response is empty");
  const code = fencedBlocks(response);
  if (code.length === 0) return fail("no_code_block", "the response has no fenced code block");
  const after = text.slice(end + "</response>".length);
  const open = after.indexOf("<tests>");
  if (open < 0) return fail("missing_tests", "no <tests> section after the response");
  const tests = fencedBlocks(after.slice(open + "<tests>".length));
  if (tests.length === 0) return fail("no_tests_block", "the tests section has no fenced code block");
  return { ok: true, value: { response, code: code.join("\n\n"), tests: tests.join("\n\n") } };
}
