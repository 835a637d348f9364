/**
 * Few-shot completion prompts for the three generation modes, laid out as the reference does
 * (an instruction for the mode, k examples each headed "## Example i", then the target under the
 * next heading, ending where the model continues) but in our own words. Changing any text here
 * changes TEMPLATE_VERSION's hash, which every generated record carries in its lineage.
 */
import { sha256Hex } from "../../schemas/common.ts";
import type { FewShotPool } from "./fewshot/pool.ts";
import type { FewShotExample } from "./fewshot/schema.ts";

export const TEMPLATE_VERSION = "sca-prompts-v2";

export type Mode = "concepts" | "instructions" | "responses";

export const SYSTEM: Record<Mode, string> = {
  concepts:
    "Each example below shows a Python snippet followed by the programming concepts it puts to use. " +
    "Name the concepts of the last snippet the same way: a single comma-separated line of short noun phrases, the most important first.",
  instructions:
    "Each example below turns a set of properties into one self-contained programming task. " +
    "The task has the given category, language and difficulty, exercises the listed concepts, can be solved without external services, and its solution can be checked by tests. " +
    "Write only the task, as a user would ask it.",
  responses:
    "Each example below answers a programming task. The response first reasons about the approach, then gives the complete implementation in one fenced code block, then explains it briefly. " +
    "After the response, a tests section holds assertions in a fenced code block that check the implementation and pass when run after it.",
};

/** Where generation must end: the next example's heading, and for responses the end of the tests. */
export const STOP: Record<Mode, string[]> = {
  concepts: ["## Example"],
  instructions: ["## Example"],
  responses: ["## Example", "</tests>"],
};

export interface TaskProperties {
  category: string;
  language: string;
  difficulty: string;
  concepts: string[];
}

const fence = (code: string) => "```python\n" + code.trim() + "\n```";

export function responseText(e: FewShotExample): string {
  return `${e.response.approach.trim()}\n\n${fence(e.response.code)}\n\n${e.response.explanation.trim()}`;
}

/** The snippet as the reference gives it: the seed's code itself, not fenced. */
function conceptsBody(snippet: string, concepts?: string[]): string {
  return `### Snippet\n${snippet.trimEnd()}\n\n### Concepts\n${concepts ? concepts.join(", ") + "\n" : ""}`;
}

function propertiesBody(p: TaskProperties, task?: string): string {
  const props = `category: ${p.category}\nlanguage: ${p.language}\ndifficulty: ${p.difficulty}\nconcepts: ${p.concepts.join(", ")}`;
  return `### Properties\n${props}\n\n### Task\n${task !== undefined ? task.trim() + "\n" : ""}`;
}

function responseBody(instruction: string, e?: FewShotExample): string {
  const head = `<instruction>\n${instruction.trim()}\n</instruction>\n\n<response>\n`;
  return e ? `${head}${responseText(e)}\n</response>\n\n<tests>\n${fence(e.tests)}\n</tests>\n` : head;
}

function assemble(mode: Mode, shots: string[], target: string): string {
  const parts = [SYSTEM[mode], ""];
  shots.forEach((s, i) => parts.push(`## Example ${i + 1}\n${s}`));
  parts.push(`## Example ${shots.length + 1}\n${target}`);
  // The reference ends the prompt with prompt.rstrip(): right after "### Concepts", "### Task" or "<response>".
  return parts.join("\n").trimEnd();
}

export function conceptsPrompt(seedCode: string, shots: FewShotExample[]): string {
  return assemble(
    "concepts",
    shots.map((e) => conceptsBody(e.snippet, e.concepts)),
    conceptsBody(seedCode),
  );
}

export function instructionsPrompt(p: TaskProperties, shots: FewShotExample[]): string {
  return assemble(
    "instructions",
    shots.map((e) => propertiesBody(e, e.instruction)),
    propertiesBody(p),
  );
}

export function responsesPrompt(instruction: string, shots: FewShotExample[]): string {
  return assemble(
    "responses",
    shots.map((e) => responseBody(e.instruction, e)),
    responseBody(instruction),
  );
}

/**
 * The template's identity for lineage: version, mode, instruction text, layout and pool content.
 * Rendering the whole pool around a placeholder target captures all of them in one hash.
 */
export function promptHash(mode: Mode, pool: FewShotPool): string {
  const all = [...pool.examples];
  const rendered =
    mode === "concepts"
      ? conceptsPrompt("{{seed}}", all)
      : mode === "instructions"
        ? instructionsPrompt({ category: "{{category}}", language: "{{language}}", difficulty: "{{difficulty}}", concepts: ["{{concepts}}"] }, all)
        : responsesPrompt("{{instruction}}", all);
  return `${TEMPLATE_VERSION}:${sha256Hex(`${TEMPLATE_VERSION}\0${mode}\0${pool.digest}\0${rendered}`).slice(0, 16)}`;
}
