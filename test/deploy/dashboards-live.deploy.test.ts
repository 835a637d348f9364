import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARDS } from "../../observability/grafana/dashboards.ts";
import { PLANS } from "../e2e/support/scripted-llm.ts";
import { PIPELINE_STAGES } from "../../schemas/stages.ts";
import { type LiveRun, liveRun } from "./live-run.ts";
import { grafanaToPromql } from "./promql.ts";
import { PROMTOOL_BIN, run } from "./repo.ts";

/**
 * Panels whose query has nothing to show in this run, each with the reason. The test fails if one
 * of them does show data, so a declaration cannot outlive its reason.
 */
const NO_VLLM = "vllm:* metrics come from vLLM itself: no GPU here, the scripted server stands in";

const EXPECTED_EMPTY: Record<string, string> = {
  "sca-inference/vLLM requests running and waiting": NO_VLLM,
  "sca-inference/vLLM KV cache usage": NO_VLLM,
  "sca-inference/vLLM tokens per second": NO_VLLM,
  "sca-inference/vLLM time to first token (p95)": NO_VLLM,
  "sca-quality/Reward-hacking attempts per model":
    "no scripted response tries to forge its completion; test/sandbox/verdicts.sandbox.test.ts counts one that does",
};

describe("dashboards against a live `sca run` scraped by Prometheus", () => {
  let stack: LiveRun;
  const seeds = Object.keys(PLANS);
  const withPass = Object.entries(PLANS).filter(([, kinds]) => kinds.some((k) => k === "pass" || k === "slow")).length;

  beforeAll(async () => {
    stack = await liveRun(seeds, 300_000);
  }, 420_000);

  afterAll(async () => {
    await stack?.close();
  }, 120_000);

  it("the run finished by itself with a row for every instruction that had a passing sample", () => {
    expect(stack.stdout).toContain(`done: ${withPass} rows`);
  });

  const panels = DASHBOARDS.flatMap((d) => d.panels.map((p) => ({ key: `${d.uid}/${p.title}`, panel: p })));

  it.each(panels)("$key", async ({ key, panel }) => {
    let points = 0;
    for (const q of panel.queries) {
      const series = await stack.query(grafanaToPromql(q.expr, "10s"), { start: stack.startedAt, end: stack.endedAt, step: 1 });
      points += series.reduce((n, s) => n + s.values.filter(([, v]) => Number.isFinite(Number(v))).length, 0);
    }
    if (key in EXPECTED_EMPTY) expect(points, `declared empty (${EXPECTED_EMPTY[key]}) but has data: drop the declaration`).toBe(0);
    else expect(points, `no data for ${panel.queries.map((q) => q.expr).join(" ; ")}`).toBeGreaterThan(0);
  });

  it("every declared-empty panel exists", () => {
    expect(Object.keys(EXPECTED_EMPTY).filter((k) => !panels.some((p) => p.key === k))).toEqual([]);
  });

  it("the stage variable lists every stage", async () => {
    const res = await fetch(`${stack.prometheusUrl}/api/v1/label/stage/values?${new URLSearchParams({ "match[]": "sca_records_in_total" })}`);
    const body = (await res.json()) as { data: string[] };
    expect(body.data.sort()).toEqual([...PIPELINE_STAGES].sort());
  });

  it("Prometheus loaded the shipped alert rules and evaluates them without error", async () => {
    const res = await fetch(`${stack.prometheusUrl}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(5);
    expect(rules.filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.health} ${r.lastError ?? ""}`)).toEqual([]);
  });

  it("the run answered the probes the deployments use, and its sca_ metrics pass promtool's lint", () => {
    expect(stack.probes.healthz).toBe(200);
    expect(stack.probes.readyz).toBe(200);
    const ours = stack.probes.metrics
      .split("\n")
      .filter((l) => /^(# (HELP|TYPE) )?sca_/.test(l))
      .join("\n");
    for (const stage of PIPELINE_STAGES) expect(ours).toMatch(new RegExp(`^sca_records_in_total\\{stage="${stage}"\\} [1-9]`, "m"));
    expect(run(PROMTOOL_BIN, ["check", "metrics"], { input: `${ours}\n` })).toBe("");
  });
});
