/**
 * The base-model quality judge: shown a function with its docstring taken out and the docstring
 * on its own, the model answers whether the description matches the code well enough to rewrite
 * it. Few-shot completion prompt (the examples below are ours), greedy, a handful of tokens,
 * stopping at the end of the line; more "yes" than "no" in the answer keeps the function, anything
 * else (a tie, no answer) drops it, as in the reference.
 */

export interface JudgeExample {
  code: string;
  description: string;
  verdict: "Yes" | "No";
}

export const JUDGE_EXAMPLES: readonly JudgeExample[] = [
  {
    code: "def celsius_to_fahrenheit(celsius):\n    return celsius * 9 / 5 + 32",
    description: "Convert a temperature from degrees Celsius to degrees Fahrenheit.",
    verdict: "Yes",
  },
  {
    code: "def load_rows(path):\n    with open(path) as fh:\n        header = fh.readline()\n        return [line.split(';') for line in fh]",
    description: "Helper.",
    verdict: "No",
  },
  {
    code: "def chunk(items, size):\n    return [items[i:i + size] for i in range(0, len(items), size)]",
    description: "Split a list into consecutive pieces of at most `size` elements; the last piece may be shorter.",
    verdict: "Yes",
  },
  {
    code: "def mean(values):\n    values = sorted(values)\n    mid = len(values) // 2\n    return values[mid]",
    description: "Return the arithmetic mean of the values.",
    verdict: "No",
  },
];

const INTRO =
  "Each function below is shown without its docstring, followed by that docstring. The verdict is Yes when the description matches the code and says enough to write the code again from it alone, and No otherwise.\n\n";

function block(i: number, code: string, description: string): string {
  return `## Example ${i}\n### Code\n\`\`\`python\n${code}\n\`\`\`\n### Description\n${description}\n### Verdict\n`;
}

/** Splits a standalone seed into its code without the docstring and the docstring's text. */
export function splitDocstring(standalone: string): { code: string; description: string } {
  const m = /^([ \t]*)[rRuU]?"""([\s\S]*?)"""[ \t]*\n?/m.exec(standalone.slice(standalone.search(/^(async\s+)?def /m)));
  if (!m) return { code: standalone.trim(), description: "" };
  const at = standalone.search(/^(async\s+)?def /m) + m.index;
  const code = (standalone.slice(0, at) + standalone.slice(at + m[0].length)).trim();
  return { code, description: dedentText(m[2]).trim() };
}

function dedentText(text: string): string {
  const lines = text.split("\n");
  const indents = lines
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => l.length - l.trimStart().length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return [lines[0], ...lines.slice(1).map((l) => l.slice(Math.min(cut, l.length - l.trimStart().length)))].join("\n");
}

export function judgePrompt(standalone: string): string {
  const { code, description } = splitDocstring(standalone);
  const shots = JUDGE_EXAMPLES.map((e, i) => `${block(i + 1, e.code, e.description)}${e.verdict}\n\n`).join("");
  return INTRO + shots + block(JUDGE_EXAMPLES.length + 1, code, description);
}

/** True for an answer with more "yes" than "no" in it. */
export function judgeSaysYes(answer: string): boolean {
  const lower = answer.toLowerCase();
  const count = (w: string) => lower.split(w).length - 1;
  return count("yes") > count("no");
}

/** Greedy, a few tokens, one line: the reference's judge sampling. */
export const JUDGE_SAMPLING = { temperature: 0, max_tokens: 5, stop: ["\n"], n: 1 } as const;
