import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXAMPLES } from "../../services/llm/fewshot/examples.ts";
import { FewShotPool } from "../../services/llm/fewshot/pool.ts";
import { parseResponse } from "../../services/llm/parsers.ts";
import { responseText } from "../../services/llm/prompts.ts";

// python3 is a pyenv shim that starts slowly: resolve the interpreter once.
const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
const dir = mkdtempSync(join(tmpdir(), "sca-fewshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("few-shot pool", () => {
  it("holds at least 12 distinct, diverse examples", () => {
    const pool = new FewShotPool();
    expect(pool.examples.length).toBeGreaterThanOrEqual(12);
    expect(new Set(pool.examples.map((e) => e.name)).size).toBe(pool.examples.length);
    expect(new Set(pool.examples.map((e) => e.instruction)).size).toBe(pool.examples.length);
    for (const c of ["function implementation", "class implementation", "program implementation"]) expect(pool.examples.filter((e) => e.category === c).length).toBeGreaterThanOrEqual(3);
    for (const d of ["easy", "medium", "hard"]) expect(pool.examples.filter((e) => e.difficulty === d).length).toBeGreaterThanOrEqual(3);
  });

  // The program is assembled as the execution stage does: the response's code block, then the tests block.
  it.each(EXAMPLES.map((e) => [e.name, e] as const))("%s: its response passes its own tests, and a broken response fails them", (name, e) => {
    const parsed = parseResponse(`${responseText(e)}\n</response>\n\n<tests>\n\`\`\`python\n${e.tests}\n\`\`\`\n`);
    if (!parsed.ok) throw new Error(`${name}: ${parsed.message}`);
    const file = join(dir, `${name}.py`);
    writeFileSync(file, `${parsed.value.code}\n\n${parsed.value.tests}\n`);
    const run = spawnSync(python, ["-I", file], { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "pipe"] });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // The tests must be able to fail: with every function returning None they do not pass.
    const broken = parsed.value.code.replace(/^(\s*)def (\w+)\((.*)\):/gm, "$1def $2($3):\n$1    return None");
    writeFileSync(file, `${broken}\n\n${parsed.value.tests}\n`);
    expect(spawnSync(python, ["-I", file], { timeout: 20_000, stdio: "ignore" }).status).not.toBe(0);
  });
});
