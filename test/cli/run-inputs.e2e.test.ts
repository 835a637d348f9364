import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnSca } from "../e2e/support/sca.ts";

const dir = mkdtempSync(join(tmpdir(), "sca-run-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `sca run` in a folder of its own; returns the result and what the folder holds afterwards. */
async function refused(name: string, args: (here: string) => string[], env: NodeJS.ProcessEnv = {}) {
  const here = join(dir, name);
  mkdirSync(here);
  const before = readdirSync(here).sort();
  // LLM_BASE_URL points nowhere: a run that got past the checks would fail differently (or hang), not with the message.
  const r = await spawnSca(["run", "--state", join(here, "state"), "--progress", "none", ...args(here)], {
    LLM_BASE_URL: "http://127.0.0.1:9/v1",
    LLM_MODEL: "none",
    ...env,
  }).done;
  return { ...r, before, after: readdirSync(here).sort() };
}

describe("sca run refuses bad input before any work", () => {
  it("an empty corpus folder", async () => {
    const r = await refused("empty-corpus", (h) => (mkdirSync(join(h, "corpus")), ["--out", join(h, "out"), join(h, "corpus")]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sca: corpus ".*corpus" holds no Python \(\.py\) file/);
    expect(r.after).toEqual(["corpus"]);
  });

  it("a corpus folder without Python files", async () => {
    const r = await refused("no-python", (h) => {
      mkdirSync(join(h, "corpus", "docs"), { recursive: true });
      writeFileSync(join(h, "corpus", "docs", "notes.txt"), "def f(): pass\n");
      return ["--out", join(h, "out"), "--corpus", join(h, "corpus")];
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds no Python \(\.py\) file/);
    expect(r.after).toEqual(["corpus"]);
  });

  it("an empty --seeds file", async () => {
    const r = await refused(
      "empty-seeds",
      (h) => (writeFileSync(join(h, "seeds.jsonl"), "\n\n"), ["--out", join(h, "out"), "--seeds", join(h, "seeds.jsonl")]),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--seeds ".*seeds\.jsonl" holds no seed record/);
    expect(r.after).toEqual(["seeds.jsonl"]);
  });

  it("a --seeds file that does not exist", async () => {
    const r = await refused("missing-seeds", (h) => ["--out", join(h, "out"), "--seeds", join(h, "nope.jsonl")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--seeds ".*nope\.jsonl": no such file/);
    expect(r.after).toEqual([]);
  });

  it("an --out that is a file, which is left as it was", async () => {
    const r = await refused("out-file", (h) => (writeFileSync(join(h, "out"), "keep me"), ["--out", join(h, "out"), "--seeds", join(h, "out")]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out ".*out" is a file, not a folder/);
    expect(r.after).toEqual(["out"]);
    expect(readFileSync(join(dir, "out-file", "out"), "utf8")).toBe("keep me");
  });

  it("a server without a model name, naming the flag", async () => {
    const r = await refused("no-model", (h) => ["--out", join(h, "out"), "--llm-base-url", "http://127.0.0.1:9/v1"], { LLM_BASE_URL: "", LLM_MODEL: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--llm-base-url needs --llm-model NAME/);
    expect(r.stderr).not.toMatch(/LLM_MODEL:/);
    expect(r.after).toEqual([]);
  });
});

describe("sca CLI conventions", () => {
  it("--version prints the package version", async () => {
    const r = await spawnSca(["--version"]).done;
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version);
  });

  it("status takes --state like run, and the old --state-dir still", async () => {
    for (const flag of ["--state", "--state-dir"]) {
      const state = join(dir, `status${flag}`);
      const r = await spawnSca(["status", flag, state, "--json"]).done;
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { stages: unknown[] }).stages.length).toBeGreaterThan(0);
      expect(existsSync(join(state, "log")), flag).toBe(true);
    }
  });

  it("a reader that closes the pipe early ends the command quietly, without a stack trace", async () => {
    const { child, done } = spawnSca(["status", "--state", join(dir, "pipe")]);
    // Like `| head -0`: nobody reads what status prints.
    child.stdout!.destroy();
    const r = await done;
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.code).toBe(0);
  });
});
