import { cpSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DedupState } from "../../services/seeds/dedup-state.ts";
import { dedupTokens } from "../../services/seeds/dedup-tokens.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { optimalBands } from "../../services/minhash/lsh.ts";
import { DEFAULT_MINHASH, estimatedJaccard, shingles, signature } from "../../services/minhash/minhash.ts";
import { makeStandalone } from "../../services/seeds/standalone.ts";
import { runIngest, stdlibDir, tempDir } from "./helpers.ts";

const sig = (words: string[]) => signature(shingles(words, 5), 256);

/** A copy of a function (after its imports, if any) with every name it binds renamed: the classic near-duplicate. */
async function renamedCopy(code: string): Promise<string> {
  const s = makeStandalone(await pythonParser(), code, "", new Map());
  let out = s.body;
  for (const name of s.locals) if (name !== "self") out = out.replace(new RegExp(`\\b${name}\\b`, "g"), `${name}_renamed`);
  return out;
}

describe("MinHash / LSH", () => {
  it("estimates Jaccard similarity of shingle sets", () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`);
    expect(estimatedJaccard(sig(words), sig(words))).toBe(1);
    // 400 words → 396 five-grams; changing the last 100 words keeps ~296 shared of ~496: J ≈ 0.6
    const changed = [...words.slice(0, 300), ...words.slice(300).map((w) => `${w}x`)];
    const j = estimatedJaccard(sig(words), sig(changed));
    expect(j).toBeGreaterThan(0.5);
    expect(j).toBeLessThan(0.7);
    const other = words.map((w) => `${w}y`);
    expect(estimatedJaccard(sig(words), sig(other))).toBeLessThan(0.05);
  });

  it("chooses bands for threshold 0.5 over 256 permutations and persists signatures across openings", () => {
    const b = optimalBands(0.5, 256);
    expect(b.bands * b.rows).toBeLessThanOrEqual(256);
    expect(Math.pow(1 / b.bands, 1 / b.rows)).toBeGreaterThan(0.4); // the S-curve's midpoint sits near 0.5
    expect(Math.pow(1 / b.bands, 1 / b.rows)).toBeLessThan(0.6);
    const dir = tempDir("state");
    const params = { ...DEFAULT_MINHASH, threshold: 0.5 };
    const words = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const st = DedupState.open(dir, params);
    st.add("a".repeat(32), sig(words));
    expect(() => DedupState.open(dir, params)).toThrow(/another ingest \(pid \d+\) is using/);
    st.close();
    const again = DedupState.open(dir, params);
    expect(again.has("a".repeat(32))).toBe(true);
    expect(again.nearDuplicate(sig([...words.slice(0, 45), "z1", "z2", "z3", "z4", "z5"]))?.id).toBe("a".repeat(32));
    again.close();
    expect(() => DedupState.open(dir, { ...params, threshold: 0.7 })).toThrow(/threshold=0.5, this run uses 0.7/);
  });

  it("sees a copy with renamed variables as the same token stream", async () => {
    const code = 'def scale(values, factor):\n    """Scale."""\n    out = [v * factor for v in values]\n    return out\n';
    const a = makeStandalone(await pythonParser(), code, "", new Map());
    const b = makeStandalone(await pythonParser(), await renamedCopy(code), "", new Map());
    expect(b.body).not.toBe(a.body);
    expect(dedupTokens(b.body, b.locals)).toEqual(dedupTokens(a.body, a.locals));
  });
});

describe("dedup through the pipeline", () => {
  it("drops a renamed-variable copy of a seed, within a run and in a later run, and re-ingesting emits nothing", async () => {
    const corpus = tempDir("corpus");
    for (const f of ["textwrap.py", "heapq.py", "colorsys.py", "fnmatch.py", "statistics.py", "base64.py"]) cpSync(join(stdlibDir(), f), join(corpus, f));
    const dedupDir = tempDir("dedup");
    const first = await runIngest([corpus], { dedupDir });
    expect(first.seeds.length).toBeGreaterThanOrEqual(5);
    for (const s of first.seeds) {
      const lines = readFileSync(join(corpus, s.path), "utf8")
        .split("\n")
        .slice(s.start_line - 1, s.end_line)
        .join("\n");
      expect(lines.includes(s.code), `${s.path}:${s.start_line}`).toBe(true);
    }

    // a later corpus holding renamed copies of two emitted seeds
    const later = tempDir("later");
    mkdirSync(join(later, "copies"));
    const [a, b] = first.seeds;
    // standalone: the copies carry the imports their originals needed
    writeFileSync(join(later, "copies", "renamed_a.py"), await renamedCopy(a.standalone));
    writeFileSync(join(later, "copies", "renamed_b.py"), await renamedCopy(b.standalone));
    const second = await runIngest([later], { dedupDir });
    expect(second.seeds).toEqual([]);
    expect(second.funnel.filter("near_dedup").dropped).toBe(2);
    expect(second.funnel.filter("exact_dedup").dropped).toBe(0);

    // both in one run: the copy is dropped against the original emitted moments before
    const both = tempDir("both");
    cpSync(join(later, "copies"), join(both, "b_copies"), { recursive: true });
    writeFileSync(join(both, "a_original.py"), a.standalone);
    const within = await runIngest([both], { dedupDir: tempDir("fresh") });
    expect(within.seeds.map((s) => s.name)).toEqual([a.name, `${b.name}_renamed`]);
    expect(within.funnel.filter("near_dedup").dropped).toBe(1);

    const again = await runIngest([corpus], { dedupDir });
    expect(again.seeds).toEqual([]);
    expect(again.funnel.filter("exact_dedup").dropped).toBe(first.seeds.length);
  });
});
