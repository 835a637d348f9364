import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Registry, collectDefaultMetrics } from "prom-client";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { DASHBOARDS } from "../../observability/grafana/dashboards.ts";
import { familyOf, metricsIn } from "./promql.ts";
import { ROOT, kustomize, serviceSources } from "./repo.ts";

type Obj = Record<string, any>;

/** Metric families the code defines with prom-client, by kind. */
function definedMetrics(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [, text] of serviceSources()) for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*"([^"]+)"/g)) out.set(m[2], m[1]);
  return out;
}

/** prom-client's process_* and nodejs_* metrics, when a service collects them. */
async function defaultMetrics(): Promise<string[]> {
  if (!serviceSources().some(([, t]) => /collectDefaultMetrics\(/.test(t))) return [];
  const r = new Registry();
  collectDefaultMetrics({ register: r });
  return (await r.getMetricsAsJSON()).map((m) => m.name);
}

interface Use {
  where: string;
  expr: string;
}

function uses(): Use[] {
  const out: Use[] = [];
  for (const d of DASHBOARDS) {
    for (const p of d.panels) for (const q of p.queries) out.push({ where: `dashboard ${d.uid}: ${p.title}`, expr: q.expr });
    if (d.stageFilter) out.push({ where: `dashboard ${d.uid}: stage variable`, expr: "sca_records_in_total" });
  }
  const alerts = parse(readFileSync(join(ROOT, "observability", "prometheus", "alerts.yml"), "utf8")) as Obj;
  for (const g of alerts.groups) for (const r of g.rules) out.push({ where: `alert ${r.alert}`, expr: r.expr });
  for (const overlay of ["dev", "gpu"])
    for (const doc of parseAllDocuments(kustomize(join(ROOT, "k8s", "overlays", overlay)))) {
      const o = doc.toJS() as Obj;
      if (o.kind !== "ScaledObject") continue;
      for (const t of o.spec.triggers)
        if (t.type === "prometheus") out.push({ where: `k8s/${overlay} ScaledObject ${o.metadata.name}`, expr: t.metadata.query });
    }
  return out;
}

describe("metric names", () => {
  it("every metric a dashboard, an alert or a KEDA trigger reads is exported by the code (vLLM's own vllm:* aside)", async () => {
    const defined = definedMetrics();
    const families = new Set([...defined.keys(), ...(await defaultMetrics()), "up"]);
    const all = uses();
    expect(all.length).toBeGreaterThan(40);
    const missing = all.flatMap((u) =>
      metricsIn(u.expr)
        .filter((m) => !m.startsWith("vllm:") && !families.has(familyOf(m, families)))
        .map((m) => `${u.where}: ${m}`),
    );
    expect(missing).toEqual([]);
    expect(all.some((u) => u.expr.includes("vllm:num_requests_waiting"))).toBe(true);
  });

  it("the check sees a metric that nobody exports (it can fail)", () => {
    const families = new Set(definedMetrics().keys());
    expect(metricsIn('sum(rate(sca_made_up_total{stage="x"}[5m]))').filter((m) => !families.has(familyOf(m, families)))).toEqual(["sca_made_up_total"]);
    expect(familyOf("sca_process_duration_seconds_bucket", families)).toBe("sca_process_duration_seconds");
  });

  it("the code's metrics follow Prometheus naming: sca_ prefix, counters in _total, histograms in base units", () => {
    const defined = definedMetrics();
    expect(defined.size).toBeGreaterThan(10);
    for (const [name, kind] of defined) {
      expect(name, name).toMatch(/^sca_[a-z0-9_]+$/);
      if (kind === "Counter") expect(name, name).toMatch(/_total$/);
      if (kind === "Histogram") expect(name, name).toMatch(/_(seconds|bytes)$/);
      if (kind === "Gauge") expect(name, name).not.toMatch(/_total$/);
    }
  });
});
