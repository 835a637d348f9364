/**
 * Format-constrained decoding: a GBNF grammar per mode that holds a completion to the shape its
 * parser reads, for servers that take one (`guided_grammar`: our local model server and vLLM). Off
 * by default; `sca run` turns it on for the small CPU model only, whose free completions mostly ramble
 * past their section (a concept line that never ends, a response that never closes its code block).
 * The grammar fixes the shape and bounds every repetition (an unbounded one is where this model
 * loops), never the content: the model still writes every
 * concept, task, program and assertion, and the sandbox still judges them.
 */
import { sha256Hex } from "../../schemas/common.ts";
import type { Mode } from "./prompts.ts";

export const GRAMMAR_VERSION = "sca-gbnf-v1";

export const LLM_MODES: readonly Mode[] = ["concepts", "instructions", "responses"];

/** How the dataset card words it. */
export const FORMAT_GRAMMAR_NOTE =
  "decoding held to a GBNF grammar per stage (services/llm/format-grammar.ts): the shape and length of each completion are fixed, its content is the model's own";

/** Each completion continues its prompt's last heading, so it starts on a new line. */
export const FORMAT_GRAMMAR: Record<Mode, string> = {
  // One comma-separated line of short noun phrases, as the system text asks. (\x60 is a backtick.)
  concepts: String.raw`root ::= "\n" concept ( ", " concept ){0,9} "\n"
concept ::= [a-zA-Z] [^,\n#<\x60]{1,60}
`,
  // One paragraph: the task as a user would ask it.
  instructions: String.raw`root ::= "\n" [A-Z] [^\n#<]{19,600} "\n"
`,
  // Reasoning, one fenced block of definitions (no top-level calls to loop on), a short explanation,
  // then a tests block of assertions that each call something.
  responses: String.raw`root ::= "\n" prose "\n\n" fence "python\n" code fence "\n\n" prose "\n</response>\n\n<tests>\n" fence "python\n" tests fence "\n</tests>"
fence ::= "\x60\x60\x60"
prose ::= [^\n<\x60] [^\n<\x60]{0,150}
code ::= header body ( "\n"? header body )?
header ::= ( ( "import" | "from" ) " " line ){0,4} ( "@" line ){0,2} ( "def " | "class " ) [^\n\x60]{1,120} ":\n"
body ::= ( "    " line | "\n" ){1,12}
line ::= [^\n\x60]{1,100} "\n"
tests ::= check{1,3}
check ::= "assert " [^\n(\x60]{0,60} [a-zA-Z_] [a-zA-Z0-9_.]{0,40} "(" [^\n\x60]{0,120} "\n"
`,
};

/** What a record's lineage says about the grammar it was decoded under: version and content. */
export function grammarId(mode: Mode): string {
  return `${GRAMMAR_VERSION}:${sha256Hex(FORMAT_GRAMMAR[mode]).slice(0, 16)}`;
}
