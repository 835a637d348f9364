import { contentId, SCHEMA_VERSION } from "../../../schemas/common.ts";
import type { Seed } from "../../../schemas/records.ts";
import { type ScriptedServer, startScriptedServer } from "../../llm/scripted-server.ts";

/**
 * What each sample of a seed's instruction does in the sandbox, by sample index. The scripted LLM
 * writes responses that behave exactly so: the test knows which instructions must reach the
 * dataset and which responses may be chosen.
 *   pass: tests pass at once · fail: an assertion fails · slow: passes after sleeping SLOW_S seconds
 *   garbled: unparsable completion (the responses stage drops it)
 */
export type SampleKind = "pass" | "fail" | "slow" | "garbled";

export const SLOW_S = 2;

export const PLANS: Record<string, SampleKind[]> = {
  keep_all: ["pass", "pass", "pass"],
  fail_all: ["fail", "fail", "fail"],
  one_pass: ["fail", "pass", "fail"],
  slow_only: ["slow", "fail", "fail"],
  slow_some: ["slow", "pass", "fail"],
  garbled_one: ["garbled", "pass", "fail"],
  garbled_all: ["garbled", "garbled", "garbled"],
  two_pass: ["pass", "fail", "pass"],
};

export const SAMPLES = 3;

/** A seed's plan: its function name is a plan name, optionally with a `__N` suffix for more seeds of the same kind. */
export function planName(name: string): string {
  return name.replace(/__\d+$/, "");
}

/** Seed names with at least one passing sample under a sandbox timeout of `timeoutS`. */
export function expectedSelected(names: string[], timeoutS: number): string[] {
  return names.filter((n) => (PLANS[planName(n)] ?? []).some((k) => k === "pass" || (k === "slow" && SLOW_S < timeoutS))).sort();
}

/** Every plan once, or `copies` times each. */
export function seedNames(copies = 1): string[] {
  return Object.keys(PLANS).flatMap((p) => Array.from({ length: copies }, (_, i) => (copies === 1 ? p : `${p}__${i}`)));
}

export function seedsFor(names: string[]): Seed[] {
  return names.map((name, i) => {
    const code = `def ${name}(x):\n    """Return x unchanged (${name})."""\n    return x\n`;
    return {
      id: contentId({ parent: code, stage: "seeds" }),
      code,
      standalone: code,
      name,
      path: `fixtures/${name}.py`,
      start_line: 1,
      end_line: 3,
      repo: "e2e",
      license: "MIT",
      lineage: { run_id: "e2e", schema_version: SCHEMA_VERSION, created_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() },
    };
  });
}

const last = (text: string, open: string, close: string): string => {
  const a = text.lastIndexOf(open);
  if (a < 0) return "";
  const b = text.indexOf(close, a + open.length);
  return text.slice(a + open.length, b < 0 ? undefined : b);
};

/** The plan name a prompt's target is about: the seed function name, carried along as a concept. */
function planOf(prompt: string): { mode: "concepts" | "instructions" | "responses"; name: string } {
  const tail = prompt.trimEnd();
  if (tail.endsWith("### Concepts")) return { mode: "concepts", name: /def (\w+)\(/.exec(last(prompt, "### Snippet", "### Concepts"))?.[1] ?? "unknown" };
  if (tail.endsWith("### Task")) return { mode: "instructions", name: /concepts: (\w+)/.exec(last(prompt, "### Properties", "### Task"))?.[1] ?? "unknown" };
  if (tail.endsWith("<response>")) return { mode: "responses", name: /\[plan (\w+)\]/.exec(last(prompt, "<instruction>", "</instruction>"))?.[1] ?? "unknown" };
  throw new Error(`scripted LLM: cannot tell the mode of a prompt ending ${JSON.stringify(tail.slice(-60))}`);
}

function response(name: string, j: number, kind: SampleKind): string {
  if (kind === "garbled") return `I am not sure what to write for sample ${j}.`;
  const sleep = kind === "slow" ? `    import time\n    time.sleep(${SLOW_S})\n` : "";
  const want = kind === "fail" ? 2 : 1;
  return [
    `Sample ${j} of ${name} (${kind === "fail" ? "FAILS" : "PASSES"}).`,
    "```python",
    `def solve_${name}(x):`,
    // Without a line of its own, the slow plans' code would differ in the name alone: curation
    // would rightly drop one as a near-duplicate of the other.
    `${sleep}    label = "${name}"`,
    "    return x",
    "```",
    "</response>",
    "",
    "<tests>",
    "```python",
    `assert solve_${name}(1) == ${want}`,
    "```",
    "",
  ].join("\n");
}

/** An OpenAI-compatible server that answers each stage's prompt per the plans; counts requests. */
export async function startScriptedLlm(opts: { delayMs?: number; rejected?: Set<string>; port?: number } = {}): Promise<ScriptedServer> {
  return startScriptedServer(
    {
      respond(req) {
        const prompt = String(req.body.prompt ?? "");
        const n = req.body.n ?? 1;
        const { mode, name } = planOf(prompt);
        const delayMs = opts.delayMs ?? 0;
        // A prompt the server refuses as malformed (400): a record-level failure, for the DLQ.
        if (opts.rejected?.has(name)) return { status: 400, body: JSON.stringify({ error: { message: `scripted: prompt for ${name} rejected` } }) };
        if (mode === "concepts") return { text: `${name}, identity function`, delayMs };
        if (mode === "instructions") return { text: `Write a Python function solve_${name}(x) that returns its argument unchanged. [plan ${name}]`, delayMs };
        const kinds = PLANS[planName(name)] ?? [];
        return { texts: Array.from({ length: n }, (_, j) => response(name, j, kinds[j] ?? "fail")), delayMs };
      },
    },
    { port: opts.port },
  );
}
