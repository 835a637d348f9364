import { describe, expect, it } from "vitest";
import type { CurationState, DatasetSample, SelectedPair } from "../../schemas/records.ts";
import { configDigest, loadCurationConfig } from "../../services/stages/curation/config.ts";
import { pairFeatures } from "../../services/stages/curation/features.ts";
import { type Change, CurationIndex } from "../../services/stages/curation/index.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { fixedCases, idOf, pair } from "./pairs.ts";

const parser = await pythonParser();

function curate(pairs: SelectedPair[], env: NodeJS.ProcessEnv = {}) {
  const config = loadCurationConfig(env);
  const index = new CurationIndex({ skip: config.skip, threshold: config.threshold, numPerm: config.numPerm, config: configDigest(config) });
  const dataset = new Map<string, DatasetSample>();
  const log: Change[] = [];
  for (const p of pairs) {
    const { raw: _raw, ...row } = p;
    const changes = p.retracted ? index.apply(p.instruction_id, null, null) : index.apply(p.instruction_id, row, pairFeatures(p, parser, config));
    log.push(...changes);
    for (const c of changes) {
      if (c.kind !== "dataset") continue;
      if (c.row.retracted) {
        if (dataset.get(c.row.instruction_id)?.id === c.row.id) dataset.delete(c.row.instruction_id);
      } else dataset.set(c.row.instruction_id, c.row);
    }
  }
  const fates = Object.fromEntries([...index.values()].map((s: CurationState) => [s.instruction_id, s.status === "dropped" ? s.rule : s.status]));
  return { index, dataset, fates, log };
}

describe("curation rules on a fixed set of selected pairs", () => {
  const cases = fixedCases();
  const expected = Object.fromEntries(cases.map((c) => [idOf(c.spec.n), c.fate]));

  it("gives each pair its fate, whatever the order the pairs arrive in", () => {
    const inOrder = curate(cases.map((c) => pair(c.spec)));
    expect(inOrder.fates).toEqual(expected);
    for (const c of cases.filter((x) => x.duplicateOf)) expect(inOrder.index.get(idOf(c.spec.n))?.duplicate_of, c.fate).toBe(idOf(c.duplicateOf!));
    const reversed = curate(cases.map((c) => pair(c.spec)).reverse());
    expect(reversed.fates).toEqual(expected);
    expect([...reversed.dataset.keys()].sort()).toEqual([...inOrder.dataset.keys()].sort());
  });

  it("a later smaller id displaces an exported duplicate, and the selector's retraction brings it back", () => {
    const [a] = cases;
    const late = { ...a.spec, n: 0 };
    const r = curate([pair(a.spec), pair(late)]);
    expect(r.fates[idOf(1)]).toBe("exact_instruction");
    expect(r.log.filter((c) => c.kind === "dataset").map((c) => (c.kind === "dataset" ? [c.row.instruction_id, c.row.retracted ?? false] : []))).toEqual([
      [idOf(1), false],
      [idOf(0), false],
      [idOf(1), true],
    ]);
    const back = curate([pair(a.spec), pair(late), pair(late, { retracted: true })]);
    expect(back.fates).toEqual({ [idOf(0)]: "retracted", [idOf(1)]: "kept" });
    expect([...back.dataset.keys()]).toEqual([idOf(1)]);
  });

  it("every rule can be switched off", () => {
    const all = cases.map((c) => pair(c.spec));
    const skip = cases.filter((c) => c.fate !== "kept").map((c) => c.fate);
    const r = curate(all, { SCA_CURATION_SKIP: [...new Set(skip)].join(",") });
    expect(Object.values(r.fates).every((f) => f === "kept")).toBe(true);
    expect(() => loadCurationConfig({ SCA_CURATION_SKIP: "near_everything" })).toThrow(/SCA_CURATION_SKIP: unknown curation rule "near_everything"/);
  });
});
