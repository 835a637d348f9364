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

export const GRAMMAR_VERSION = "sca-gbnf-v2";

export const LLM_MODES: readonly Mode[] = ["concepts", "instructions", "responses"];

/** How the dataset card words it. */
export const FORMAT_GRAMMAR_NOTE =
  "decoding held to a GBNF grammar per stage (services/llm/format-grammar.ts): the shape and length of each completion are fixed, its content is the model's own";

/** The most lines a block may hold at each indentation level of a function body (4, 8, ... spaces). */
const BLOCK_LINES = [14, 8, 6, 4];

const FENCE_RULE = String.raw`fence ::= "\x60\x60\x60"`;
const PROSE_RULE = String.raw`prose ::= [^\n<\x60] [^\n<\x60]{0,150}`;
const STR_RULE = String.raw`str ::= "\"" ( [^"\\\n] | "\\" [nt"'\\] ){0,80} "\"" | "'" ( [^'\\\n] | "\\" [nt"'\\] ){0,80} "'"`;

/**
 * The rules of a response's code: a subset of Python whose layout is sound by construction. Measured
 * on the 270M model, most samples under the first version (free lines of at most 100 characters)
 * failed on syntax: lines and strings cut at a bound, docstrings left open, unbalanced brackets,
 * `assert =`. Here a header ending in ":" opens a deeper block of at least one line, brackets
 * balance, strings and docstrings close, and the bounds count lines and tokens rather than cut one
 * (what a statement says inside that layout is the model's, and may still be wrong). No top-level
 * statements (nothing to loop on). `funcs` is how many definitions the block may hold.
 */
function codeRules(funcs: 1 | 2): string[] {
  const blocks = BLOCK_LINES.flatMap((most, i) => {
    const d = i + 1;
    const deeper = d < BLOCK_LINES.length ? ` | head ":\\n" block${d + 1}` : "";
    return [`block${d} ::= stmt${d}{1,${most}}`, `stmt${d} ::= "${" ".repeat(4 * d)}" ( simple "\\n"${deeper} )`];
  });
  return [
    FENCE_RULE,
    PROSE_RULE,
    funcs === 2 ? String.raw`code ::= imports? func ( "\n"? func )?` : String.raw`code ::= imports? func`,
    String.raw`imports ::= ( ( "import " dotted | "from " dotted " import " name ( ", " name ){0,4} ) "\n" ){1,3}`,
    String.raw`dotted ::= name ( "." name ){0,3}`,
    String.raw`name ::= [a-zA-Z_] [a-zA-Z0-9_]{0,30}`,
    String.raw`func ::= "def " name "(" params? ")" ( " -> " type )? ":\n" doc? block1`,
    String.raw`params ::= param ( ", " param ){0,5}`,
    String.raw`param ::= "*"{0,2} name ( ": " type )? ( "=" lit | " = " lit )?`,
    String.raw`type ::= dotted ( "[" type ( ", " type ){0,2} "]" )?`,
    String.raw`doc ::= "    \"\"\"" [^"\\\x60]{1,300} "\"\"\"\n"`,
    ...blocks,
    String.raw`head ::= ( "if" | "elif" | "while" | "for" | "with" | "except" ) " " expr | "else" | "try" | "finally" | "except" | "def " name "(" params? ")"`,
    // A statement starts with a non-blank (its indentation is the block's), has no comment and no
    // top-level ":" (that ends a header), and holds at most 80 characters or bracketed groups.
    String.raw`simple ::= first piece{0,80}`,
    String.raw`expr ::= first piece{0,60}`,
    String.raw`first ::= [^\n "'()\[\]{}#:\\\x60] | group`,
    String.raw`piece ::= [^\n"'()\[\]{}#:\\\x60] | group`,
    String.raw`group ::= str | "(" inner ")" | "[" inner "]" | "{" inner "}"`,
    String.raw`inner ::= ( piece | ":" ){0,80}`,
    STR_RULE,
  ];
}

/** Python literals, the arguments and expected values a test may write. */
const LITERAL_RULES = [
  String.raw`lit ::= num | str | "True" | "False" | "None" | "[" items? "]" | "(" items? ")" | "{" ( items | pairs )? "}"`,
  String.raw`items ::= lit ( ", " lit ){0,9}`,
  String.raw`pairs ::= lit ": " lit ( ", " lit ": " lit ){0,9}`,
  // Python 3 reads a leading zero as an error ("007"), so a number starts with 1-9 unless it is 0.
  String.raw`num ::= "-"? ( "0" | [1-9] [0-9]{0,8} ) ( "." [0-9]{1,6} )?`,
];

/**
 * Reasoning, one fenced block of at most two function definitions (codeRules), a short
 * explanation, then a tests block of 1-3 assertions. A test asserts a call with positional literal
 * arguments, or its equality with a literal: a test that names a variable it never defines is a
 * NameError, not a check.
 */
function responsesGrammar(): string {
  return [
    String.raw`root ::= "\n" prose "\n\n" fence "python\n" code fence "\n\n" prose "\n</response>\n\n<tests>\n" fence "python\n" tests fence "\n</tests>"`,
    ...codeRules(2),
    String.raw`tests ::= check{1,3}`,
    String.raw`check ::= "assert " call ( " == " lit )? "\n"`,
    String.raw`call ::= name ( "." name )? "(" ( lit ( ", " lit ){0,5} )? ")"`,
    ...LITERAL_RULES,
    "",
  ].join("\n");
}

/** How the dataset card words after-code tests. */
export const AFTER_CODE_NOTE =
  "each response's tests sampled in a second completion that continues its code and may only call the functions that code defines (one function per response), asserting each call equals a value the model wrote";

/**
 * Code and tests as two completions (SCA_RESPONSES_TESTS=after-code), for a model that left to itself
 * writes tests about names it never defined (a third of the 270M model's failures were NameErrors,
 * often names copied from the few-shot example) or with values that ignore the code just written.
 * The first completion stops after the code block, which holds one definition: the 270M model's second
 * definition mostly redefined the first under the same name, replacing working code with a broken copy.
 */
export const CODE_GRAMMAR = [String.raw`root ::= "\n" prose "\n\n" fence "python\n" code fence "\n"`, ...codeRules(1), ...LITERAL_RULES, ""].join("\n");

/**
 * The second completion continues the first: an explanation, then 1-3 tests, each asserting that a
 * call of a function the code defines (`names`) with literal arguments equals a literal the model
 * writes. The expected value is never None: a function that returns nothing would pass such a test
 * without computing anything.
 */
export function testsGrammar(names: readonly string[]): string {
  if (names.length === 0) throw new Error("testsGrammar: no function to call");
  return [
    // The explanation may not start with "#": measured, the model often began "## Example" there
    // (the next example's heading, a stop sequence), which ended the sample before its tests.
    String.raw`root ::= "\n" note "\n</response>\n\n<tests>\n" fence "python\n" tests fence "\n</tests>"`,
    String.raw`note ::= [^\n<\x60#] [^\n<\x60]{0,150}`,
    FENCE_RULE,
    STR_RULE,
    String.raw`tests ::= check{1,3}`,
    String.raw`check ::= "assert " call " == " expect "\n"`,
    `call ::= ( ${names.map((n) => JSON.stringify(n)).join(" | ")} ) "(" ( lit ( ", " lit ){0,5} )? ")"`,
    String.raw`expect ::= num | str | "True" | "False" | "[" items? "]" | "(" items? ")" | "{" ( items | pairs )? "}"`,
    ...LITERAL_RULES,
    "",
  ].join("\n");
}

/** The functions a test may call: top-level definitions that are not methods (self/cls) or dunders. */
export function testableNames(code: string): string[] {
  const names = [...code.matchAll(/^def ([A-Za-z_]\w*)\((?!\s*(?:self|cls)\b)/gm)].map((m) => m[1]).filter((n) => !/^__.*__$/.test(n));
  return [...new Set(names)];
}

/** Lineage of after-code decoding: both grammars (the tests one with its names as a placeholder). */
export function afterCodeGrammarId(): string {
  return `${GRAMMAR_VERSION}-after-code:${sha256Hex(`${CODE_GRAMMAR}\0${testsGrammar(["{{name}}"])}`).slice(0, 16)}`;
}

/** Each completion continues its prompt's last heading, so it starts on a new line. */
export const FORMAT_GRAMMAR: Record<Mode, string> = {
  // One comma-separated line of short noun phrases, as the system text asks. (\x60 is a backtick.)
  concepts: String.raw`root ::= "\n" concept ( ", " concept ){0,9} "\n"
concept ::= [a-zA-Z] [^,\n#<\x60]{1,60}
`,
  // One paragraph: the task as a user would ask it.
  instructions: String.raw`root ::= "\n" [A-Z] [^\n#<]{19,600} "\n"
`,
  responses: responsesGrammar(),
};

/** What a record's lineage says about the grammar it was decoded under: version and content. */
export function grammarId(mode: Mode): string {
  return `${GRAMMAR_VERSION}:${sha256Hex(FORMAT_GRAMMAR[mode]).slice(0, 16)}`;
}
