import { describe, expect, it } from "vitest";
import type { SelectorState, Verdict } from "../../schemas/records.ts";
import { SelectorState as SelectorStateSchema } from "../../schemas/records.ts";
import { applyVerdict, expireRound, isExpired, type Step } from "../../services/stages/selector/aggregate.ts";
import { getPolicy, policyNames } from "../../services/stages/selector/policies.ts";
import { verdict } from "./fixtures.ts";

const now = new Date("2026-01-01T00:00:00Z");
const opts = (policy = "pass-random", contaminated: (t: string) => boolean = () => false) => ({ policy: getPolicy(policy), isContaminated: contaminated, now });

function fold(vs: Verdict[], policy = "pass-random", contaminated?: (t: string) => boolean): { state?: SelectorState; steps: Step[] } {
  let state: SelectorState | undefined;
  const steps: Step[] = [];
  for (const v of vs) {
    const s = applyVerdict(state, v, opts(policy, contaminated));
    steps.push(s);
    state = s.state;
  }
  return { state, steps };
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe("selector aggregation", () => {
  it("decides only when all n samples reported, selecting a passing one", () => {
    const vs = [verdict("a", 0, 3, "fail"), verdict("a", 1, 3, "pass"), verdict("a", 2, 3, "timeout")];
    const { state, steps } = fold(vs);
    expect(steps[0].change).toBeUndefined();
    expect(steps[1].change).toBeUndefined();
    expect(steps[2].change?.kind).toBe("select");
    expect(steps[2].change?.row.response_id).toBe(vs[1].response_id);
    expect(steps[2].change?.row.n_passed).toBe(1);
    expect(state?.last_decision).toMatchObject({ outcome: "selected", n_passed: 1, complete: true });
    expect(SelectorStateSchema.parse(state)).toBeTruthy();
  });

  it("chooses the same response whatever order the verdicts arrive in (replays agree)", () => {
    const vs = [0, 1, 2, 3].map((i) => verdict("b", i, 4, i === 2 ? "fail" : "pass"));
    for (const policy of policyNames()) {
      const chosen = new Set(permutations(vs).map((p) => fold(p, policy).steps.at(-1)?.change?.row.response_id));
      expect(chosen.size, policy).toBe(1);
      expect([...chosen][0]).not.toBe(vs[2].response_id);
    }
  });

  it("pass-random spreads its choice over the passing samples across instructions", () => {
    const picks = new Set<number>();
    for (let k = 0; k < 40; k++) {
      const vs = [0, 1, 2, 3].map((i) => verdict(`r${k}`, i, 4, "pass"));
      const row = fold(vs).steps.at(-1)?.change?.row;
      picks.add(vs.findIndex((v) => v.response_id === row?.response_id));
    }
    expect(picks.size).toBeGreaterThan(2);
  });

  it("counts an instruction without a passing sample and emits nothing", () => {
    const { state, steps } = fold([verdict("c", 0, 2, "fail"), verdict("c", 1, 2, "crash")]);
    expect(steps.every((s) => s.change === undefined)).toBe(true);
    expect(state?.last_decision).toMatchObject({ outcome: "no_pass", n_passed: 0 });
  });

  it("never selects a contaminated pair", () => {
    const vs = [verdict("d", 0, 2, "pass"), verdict("d", 1, 2, "pass")];
    const leaky = (t: string) => t.includes("response 0 of d");
    const { steps } = fold(vs, "pass-first", leaky);
    expect(steps[1].change?.row.response_id).toBe(vs[1].response_id);
    const { state, steps: s2 } = fold(vs, "pass-first", () => true);
    expect(s2[1].change).toBeUndefined();
    expect(state?.last_decision?.outcome).toBe("contaminated");
  });

  it("a re-judgement round that fails every sample retracts the row; a new passing round restores it", () => {
    const round0 = [verdict("e", 0, 2, "pass"), verdict("e", 1, 2, "fail")];
    const round1 = [verdict("e", 0, 2, "timeout", { round: 1 }), verdict("e", 1, 2, "fail", { round: 1 })];
    const round2 = [verdict("e", 1, 2, "pass", { round: 2 }), verdict("e", 0, 2, "timeout", { round: 2 })];
    const { steps } = fold([...round0, ...round1, ...round2]);
    expect(steps[1].change).toMatchObject({ kind: "select", row: { response_id: round0[0].response_id } });
    expect(steps[2].change).toBeUndefined(); // mid-round: the old decision stands until the round completes
    expect(steps[3].change?.kind).toBe("retract");
    expect(steps[3].change?.row).toMatchObject({ retracted: true, response_id: round0[0].response_id });
    expect(steps[5].change).toMatchObject({ kind: "select", row: { response_id: round0[1].response_id } });
  });

  it("a re-judgement with the same outcome changes nothing in the dataset", () => {
    const round0 = [verdict("f", 0, 2, "pass"), verdict("f", 1, 2, "pass")];
    const round1 = [verdict("f", 1, 2, "pass", { round: 1 }), verdict("f", 0, 2, "pass", { round: 1 })];
    const { steps } = fold([...round0, ...round1]);
    expect(steps[1].change?.kind).toBe("select");
    expect(steps[3].change).toBeUndefined();
  });

  it("a straggler timeout decides a partial round", () => {
    const { state } = fold([verdict("g", 0, 3, "pass")]);
    expect(isExpired(state!, new Date(now.getTime() + 999), 1000)).toBe(false);
    expect(isExpired(state!, new Date(now.getTime() + 1000), 1000)).toBe(true);
    const step = expireRound(state!, new Date(now.getTime() + 1000), "pass-random");
    expect(step.change?.kind).toBe("select");
    expect(step.state.last_decision).toMatchObject({ complete: false, n_passed: 1 });
    expect(step.state.pending).toEqual([]);
    expect(expireRound(step.state, now, "pass-random").change).toBeUndefined();
  });

  it("rejects an unknown policy by name", () => {
    expect(() => getPolicy("best-effort")).toThrow(/unknown selection policy "best-effort"; have: pass-random/);
  });
});
