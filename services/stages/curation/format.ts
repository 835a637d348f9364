import { findCodeBlocks } from "./code-blocks.ts";

/** What the reference's `preprocess_and_filter` rejects, in the order it checks. */
export type FormatRule = "bad_separator" | "placeholder" | "no_python_block" | "no_assert";

/** The one separator the reference accepts between the response and its tests. */
export const RESPONSE_TEST_SPLIT = "</response>\n\n<tests>";

/**
 * Lowercased substrings that mark an unfinished response: the reference's list, plus the
 * `pass  # implement` stub the issue names.
 */
export const PLACEHOLDERS: readonly string[] = [
  "todo",
  "fixme",
  "write your code here",
  "your code here",
  "your code goes here",
  "notimplemented",
  "pass  # implement",
];

const DEFINITION_ONLY = /^(def|class|import|from)/;

/**
 * The reference's format check on a raw response completion (response, `</response>`, tests).
 * Returns the first rule it breaks, or null. `skip` leaves rules out (an ablation).
 */
export function formatFailure(raw: string, skip: ReadonlySet<string> = new Set()): FormatRule | null {
  const parts = raw.split(RESPONSE_TEST_SPLIT);
  if (parts.length !== 2 && !skip.has("bad_separator")) return "bad_separator";
  const lower = raw.toLowerCase();
  if (!skip.has("placeholder") && PLACEHOLDERS.some((p) => lower.includes(p))) return "placeholder";
  if (parts.length !== 2) return null;
  const [response, tests] = parts.map((p) => p.trim());
  const testBlocks = findCodeBlocks(tests, "python");
  if (!skip.has("no_python_block") && (findCodeBlocks(response, "python").length === 0 || testBlocks.length === 0)) return "no_python_block";
  if (!skip.has("no_assert")) {
    // Only unindented lines count: a tests section of bare definitions and imports tests nothing.
    const top = testBlocks
      .join("\n")
      .split("\n")
      .filter((l) => l.length > 0 && /^\p{L}/u.test(l));
    if (!tests.includes("assert") || top.every((l) => DEFINITION_ONLY.test(l))) return "no_assert";
  }
  return null;
}
