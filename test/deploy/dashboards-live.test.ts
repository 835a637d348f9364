import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARDS } from "../../observability/grafana/dashboards.ts";
import { PLANS } from "../e2e/support/scripted-llm.ts";
import { grafanaToPromql } from "./promql.ts";
import { PROMTOOL_BIN, run } from "./repo.ts";
import { type LiveStack, STAGES, startLiveStack } from "./live-stack.ts";

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
  "sca-sandbox/Sandbox errors retried per second": "no sandbox error in a healthy run (a broken engine shows here)",
};

describe("dashboards against a live pipeline", () => {
  let stack: LiveStack;
  let end = 0;
  const seeds = Object.keys(PLANS);
  const withPass = Object.entries(PLANS).filter(([, kinds]) => kinds.some((k) => k === "pass" || k === "slow")).length;

  beforeAll(async () => {
    stack = await startLiveStack();
    await stack.publishSeeds(seeds);
    // Done when every instruction with a passing sample is a dataset row, and Prometheus has
    // scraped the quiet pipeline a few more times.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const r = await stack.query('sum(sca_records_out_total{topic="dataset"})');
      if (Number(r[0]?.values[0]?.[1] ?? 0) >= withPass) break;
      if (Date.now() > deadline) throw new Error(`only ${r[0]?.values[0]?.[1] ?? 0} of ${withPass} dataset rows after 240 s`);
      await new Promise((res) => setTimeout(res, 1_000));
    }
    await new Promise((res) => setTimeout(res, 8_000));
    end = Date.now() / 1000;
  }, 420_000);

  afterAll(async () => {
    await stack?.close();
  }, 120_000);

  const panels = DASHBOARDS.flatMap((d) => d.panels.map((p) => ({ key: `${d.uid}/${p.title}`, panel: p })));

  it.each(panels)("$key", async ({ key, panel }) => {
    let points = 0;
    for (const q of panel.queries) {
      const series = await stack.query(grafanaToPromql(q.expr, "10s"), { start: stack.startedAt, end, step: 1 });
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
    expect(body.data.sort()).toEqual([...STAGES].sort());
  });

  it("Prometheus loaded the shipped alert rules and evaluates them without error", async () => {
    const res = await fetch(`${stack.prometheusUrl}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(5);
    expect(rules.filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.health} ${r.lastError ?? ""}`)).toEqual([]);
  });

  it("every service answers the probes the deployments use, and its sca_ metrics pass promtool's lint", async () => {
    for (const s of STAGES) {
      const base = stack.metricsUrls[s];
      expect((await fetch(`${base}/healthz`)).status, `${s} /healthz`).toBe(200);
      expect((await fetch(`${base}/readyz`)).status, `${s} /readyz`).toBe(200);
      const text = await (await fetch(`${base}/metrics`)).text();
      const ours = text
        .split("\n")
        .filter((l) => /^(# (HELP|TYPE) )?sca_/.test(l))
        .join("\n");
      expect(ours, s).toContain("sca_records_in_total");
      expect(run(PROMTOOL_BIN, ["check", "metrics"], { input: `${ours}\n` }), s).toBe("");
    }
  });
});
