import { describe, expect, it } from "vitest";
import { CURATION_RULES } from "../../schemas/records.ts";
import { configDigest, loadCurationConfig } from "../../services/stages/curation/config.ts";
import { minhashTokens, pairFeatures } from "../../services/stages/curation/features.ts";
import { CurationIndex } from "../../services/stages/curation/index.ts";
import { shingles } from "../../services/minhash/minhash.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { pair } from "./pairs.ts";

const parser = await pythonParser();

function lcg(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

describe("MinHash near-dedup against exact Jaccard", () => {
  it("on 1,000 pairs with 30 % planted near-duplicates, recall and precision are at least 0.95", () => {
    const rand = lcg(7);
    const word = () => `t${Math.floor(rand() * 20_000)}`;
    const texts: string[] = [];
    for (let i = 0; i < 700; i++) texts.push(Array.from({ length: 100 }, word).join(" "));
    // Planted copies: one or two words changed (Jaccard about 0.9 and 0.8), or eight (about 0.4: not a duplicate).
    for (let i = 0; i < 300; i++) {
      const w = texts[Math.floor(rand() * 700)].split(" ");
      const changes = [1, 2, 8][i % 3];
      for (let k = 0; k < changes; k++) w[Math.floor(rand() * w.length)] = word();
      texts.push(w.join(" "));
    }
    // Ids in a random order relative to the texts, so copies are as often older as newer than their originals.
    const ids = texts.map((_, i) => i + 1).sort(() => rand() - 0.5);
    const pairs = texts.map((t, i) =>
      pair({
        n: ids[i],
        instruction: t,
        prose: `Answer number ${ids[i]} ${word()} ${word()} ${word()} ${word()} ${word()} ${word()}.`,
        code: `def fn_${ids[i]}(x):\n    return x + ${ids[i]}`,
        tests: `assert fn_${ids[i]}(0) == ${ids[i]}`,
      }),
    );

    const config = loadCurationConfig({ SCA_CURATION_SKIP: CURATION_RULES.filter((r) => r !== "near_instruction").join(",") });
    const index = new CurationIndex({ skip: config.skip, threshold: config.threshold, numPerm: config.numPerm, config: configDigest(config) });
    for (const p of pairs) {
      const { raw: _raw, ...row } = p;
      index.apply(p.instruction_id, row, pairFeatures(p, parser, config));
    }
    const predicted = new Set([...index.values()].filter((s) => s.status === "dropped").map((s) => s.instruction_id));
    for (const s of index.values()) if (s.status === "dropped") expect(s.rule).toBe("near_instruction");

    // The truth: the same greedy rule in id order, with exact Jaccard on the same 5-gram sets.
    const sets = new Map(pairs.map((p) => [p.instruction_id, shingles(minhashTokens(p.instruction), 5)]));
    const kept: string[] = [];
    const truth = new Set<string>();
    for (const id of [...sets.keys()].sort()) {
      if (kept.some((k) => jaccard(sets.get(k)!, sets.get(id)!) >= 0.7)) truth.add(id);
      else kept.push(id);
    }
    const hit = [...predicted].filter((id) => truth.has(id)).length;
    const recall = hit / truth.size;
    const precision = hit / predicted.size;
    expect(truth.size).toBeGreaterThan(150);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBeGreaterThanOrEqual(0.95);
  });
});
