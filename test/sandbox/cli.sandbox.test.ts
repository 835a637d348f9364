import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const sca = join(import.meta.dirname, "..", "..", "bin", "sca.js");
const dir = mkdtempSync(join(tmpdir(), "sca-sandbox-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = [
  JSON.stringify({ id: "ok", code: "def f():\n    return 1\n", tests: "assert f() == 1\n", source: "unit" }),
  "{ not json",
  JSON.stringify({ id: "wrong", code: "def f():\n    return 2\n", tests: "assert f() == 1\n" }),
  JSON.stringify({ id: 7, code: "x = 1" }),
  JSON.stringify({ id: "loops", code: "while True:\n    pass\n", tests: "" }),
];

describe("sca sandbox run", () => {
  it("writes one verdict per program, reports malformed lines by number, exits 0", async () => {
    const input = join(dir, "in.jsonl");
    const output = join(dir, "out.jsonl");
    writeFileSync(input, lines.join("\n") + "\n");
    const { stderr } = await run("node", [
      sca,
      "sandbox",
      "run",
      "--input",
      input,
      "--output",
      output,
      "--backend",
      "bwrap",
      "--timeout",
      "1",
      "--concurrency",
      "2",
    ]);
    expect(stderr).toMatch(/line 2 skipped: not JSON/);
    expect(stderr).toMatch(/line 4 skipped: id: .*; tests: /);
    const out = readFileSync(output, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byId = Object.fromEntries(out.map((o) => [o.id, o]));
    expect(Object.keys(byId).sort()).toEqual(["loops", "ok", "wrong"]);
    expect(byId.ok).toMatchObject({ status: "pass", exit_code: 0, signal: null, source: "unit" });
    expect(byId.ok).not.toHaveProperty("code");
    expect(byId.wrong).toMatchObject({ status: "fail", exit_code: 1 });
    expect(String(byId.wrong.stderr_tail)).toContain("AssertionError");
    expect(byId.loops).toMatchObject({ status: "timeout", exit_code: null });
    for (const o of out) expect(typeof o.duration_ms).toBe("number");
  });

  it("shows a progress bar when stderr is a terminal", async () => {
    const input = join(dir, "tty.jsonl");
    writeFileSync(input, lines[0] + "\n" + lines[2] + "\n");
    // script(1) gives the command a pseudo-terminal, as an operator's shell would.
    const cmd = `node ${sca} sandbox run --input ${input} --output ${join(dir, "tty.out")} --backend bwrap`;
    const { stdout } = await run("script", ["-qec", cmd, "/dev/null"]);
    expect(stdout).toMatch(/2\/2 programs/);
    expect(stdout).toMatch(/pass 1/);
  });

  it("exits 1 when no input line holds a program, saying so", async () => {
    const input = join(dir, "bad.jsonl");
    writeFileSync(input, lines[1] + "\n" + lines[3] + "\n");
    const err = await run("node", [sca, "sandbox", "run", "--input", input, "--output", join(dir, "bad.out"), "--backend", "bwrap"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/none of the 2 input lines held a program/);
  });

  it("rejects a bad flag naming it and its value", async () => {
    const err = await run("node", [sca, "sandbox", "run", "--input", "x", "--output", "y", "--timeout", "soon"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/--timeout "soon"/);
  });
});
