import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRows, runSca } from "./support/sca.ts";

describe("sca run with its defaults: stdlib corpus, the real small model on CPU", () => {
  const dir = mkdtempSync(join(tmpdir(), "sca-local-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("completes and writes train.jsonl, train.parquet and a card that states the row count", async () => {
    const out = join(dir, "out");
    // The README's command, kept to one seed and one short sample: the CPU model decodes a few tokens a second.
    const r = await runSca(["run", "--limit", "1", "--samples", "1", "--no-typecheck", "--out", out, "--state", join(dir, "state"), "--progress", "lines"], {
      LLM_BASE_URL: "",
      LLM_MAX_TOKENS: "160",
    });
    // The seed reached the model. A completion that never reaches a stop sequence is dropped, as the
    // reference drops it; the 270M model often rambles past 768 tokens on this seed, so either the
    // concepts came out or the run says, in words, that the completion was cut off and what to do.
    const concepts = /^concepts\s+1\s+(\d+)\s+(\d+)\s/m.exec(r.stdout);
    expect(concepts, r.stdout).not.toBeNull();
    if (concepts![1] !== "1") {
      expect(concepts![2]).toBe("1");
      expect(r.stdout).toMatch(/concepts: 1 completion cut off at \d+ tokens: raise --max-tokens/);
      expect(r.stdout).toMatch(/why no rows: /);
    }
    for (const f of ["train.jsonl", "train.parquet", "README.md"]) expect(existsSync(join(out, f)), f).toBe(true);
    const rows = readRows(out).length;
    const card = readFileSync(join(out, "README.md"), "utf8");
    expect(card).toContain(`**${rows} row${rows === 1 ? "" : "s"}**`);
    expect(card).toContain(`**Only ${rows} row`);
    expect(card).toMatch(/model: gemma/i);
  }, 30 * 60_000);
});
