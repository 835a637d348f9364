/**
 * Program assembly as the reference does it: every fenced code block of the raw I→R completion
 * (implementation and tests), joined with blank lines; a block that reads `input` loses its
 * `if __name__ == "__main__":` tail so that it cannot block on stdin.
 */
export interface Program {
  code: string;
  tests: string;
}

const FENCE = /```[^\n`]*\n([\s\S]*?)```/g;
const MAIN_GUARD = /^if\s+__name__\s*==\s*(["'])__main__\1\s*:/m;

export function fencedBlocks(text: string): string[] {
  return [...text.matchAll(FENCE)].map((m) => m[1]);
}

export function stripMainTail(block: string): string {
  if (!block.includes("input")) return block;
  const m = MAIN_GUARD.exec(block);
  return m ? block.slice(0, m.index).trimEnd() + "\n" : block;
}

/** The source that runs: the program's code, then its tests, as one file. */
export function programSource(p: Program): string {
  const tests = p.tests.trimEnd();
  return tests ? `${p.code.trimEnd()}\n\n${tests}\n` : `${p.code.trimEnd()}\n`;
}

/**
 * The program of one response. `raw` is the I→R completion (response text, `</response>`, `<tests>`
 * with its code block); when it holds no fenced block, the record's extracted code and tests are used.
 */
export function programFromResponse(r: { raw: string; code: string; tests: string }): Program {
  const blocks = fencedBlocks(r.raw).map(stripMainTail);
  if (blocks.length === 0) return { code: stripMainTail(r.code), tests: r.tests };
  return { code: blocks.join("\n\n"), tests: "" };
}
