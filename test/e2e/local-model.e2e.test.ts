import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readRows, runSca } from "./support/sca.ts";

describe("sca run with its defaults: stdlib corpus, the real small model on CPU", () => {
  const dir = mkdtempSync(join(tmpdir(), "sca-local-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "completes, every stage passes the seed on in the format its parser reads, and writes train.jsonl, train.parquet and a card",
    async () => {
      const out = join(dir, "out");
      // The README's command with its CPU defaults (format grammars on), kept to one seed and two samples.
      const r = await runSca(["run", "--limit", "1", "--samples", "2", "--no-typecheck", "--out", out, "--state", join(dir, "state"), "--progress", "lines"], {
        LLM_BASE_URL: "",
      });
      // Held to its grammar, the model ends the concept line and the task where the format says they
      // end (free, it often rambled past its budget on this seed and the run ended at concepts), and
      // its samples reach the sandbox. Whether one passes its own tests is up to the 270M model: it
      // rarely does (see the README), so this test does not ask for a row.
      expect(r.stdout).toMatch(/^concepts\s+1\s+1\s+0\s/m);
      expect(r.stdout).toMatch(/^instructions\s+1\s+1\s+0\s/m);
      const judged = /^verdicts\s+(\d+)\s/m.exec(r.stdout);
      expect(Number(judged?.[1]), r.stdout).toBeGreaterThanOrEqual(1);
      for (const f of ["train.jsonl", "train.parquet", "README.md"]) expect(existsSync(join(out, f)), f).toBe(true);
      const rows = readRows(out).length;
      const card = readFileSync(join(out, "README.md"), "utf8");
      expect(card).toContain(`**${rows} row${rows === 1 ? "" : "s"}**`);
      expect(card).toMatch(/model: gemma/i);
      // The card records that decoding was held to the format grammars.
      expect(card).toMatch(/"format_grammar"[\s\S]*sca-gbnf-v2:/);
      // ... and that each response's tests were sampled after its code, at their own temperature.
      expect(card).toMatch(/"responses": "sca-gbnf-v2-after-code:[0-9a-f]{16}"/);
      expect(card).toMatch(/"responses_tests"[\s\S]*"tests_per_code": "3"/);
      // ... and that the prompts drew on the easy pool, for easy function tasks, from spread seeds.
      expect(card).toContain(`"fewshot_pool": "easy"`);
      expect(card).toMatch(/"task_properties"[\s\S]*"categories": "function implementation"[\s\S]*"difficulties": "easy"/);
      expect(card).toContain(`"seeds_spread"`);
    },
    30 * 60_000,
  );

  it(
    "earns a verified row from the seed whose default-run samples passed: the real model's code passes its own tests in the sandbox",
    async () => {
      const out = join(dir, "out-row");
      // distutils' strtobool, one of the ten seeds `npm start` mines, exported from that run's log,
      // with every other default (easy pool, format grammars, after-code tests drawn 3 per code, 4
      // samples). Requests are seeded by record id, so the task is the same each time; the samples may
      // still differ (likely llama.cpp's numerics depend on what a sequence's cache held before), but in
      // that run 6 of its 12 samples passed. A change to prompts, pool, grammar or model may need a new seed.
      const seeds = fileURLToPath(new URL("fixtures/strtobool.seed.jsonl", import.meta.url));
      const r = await runSca(["run", "--seeds", seeds, "--out", out, "--state", join(dir, "state-row"), "--progress", "lines"], { LLM_BASE_URL: "" });
      const passing = /^samples passing: (\d+) of (\d+)/m.exec(r.stdout);
      expect(Number(passing?.[1]), r.stdout).toBeGreaterThanOrEqual(1);
      const rows = readRows(out);
      expect(rows.length, r.stdout).toBeGreaterThanOrEqual(1);
      for (const row of rows) {
        expect(row.n_passed).toBeGreaterThanOrEqual(1);
        // The tests assert results against values the model wrote, for a function its response defines.
        for (const line of row.tests.split("\n")) expect(line).toMatch(/^assert (\w+)\(.*\) == (?!None$).+$/);
        const called = /^assert (\w+)\(/.exec(row.tests)?.[1];
        expect(String(row.response)).toContain(`def ${called}(`);
      }
    },
    30 * 60_000,
  );
});
