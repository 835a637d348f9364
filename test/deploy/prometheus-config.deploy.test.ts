import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DASHBOARDS, dashboardsDir, renderDashboard } from "../../observability/grafana/dashboards.ts";
import { PROMTOOL_BIN, ROOT, run } from "./repo.ts";

const promDir = join(ROOT, "observability", "prometheus");

describe("Prometheus and Grafana configuration", () => {
  it("promtool accepts the shipped Prometheus config and its alert rules", () => {
    expect(run(PROMTOOL_BIN, ["check", "config", join(promDir, "prometheus.yml")])).toMatch(/SUCCESS/);
    expect(run(PROMTOOL_BIN, ["check", "rules", join(promDir, "alerts.yml")])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("the alerts fire on the series that should trip them and stay quiet otherwise (promtool test rules)", () => {
    expect(run(PROMTOOL_BIN, ["test", "rules", join(promDir, "alerts.test.yml")])).toMatch(/SUCCESS/);
  });

  it("scrapes every stage service of docker-compose.yml and vLLM", () => {
    const prom = parse(readFileSync(join(promDir, "prometheus.yml"), "utf8")) as { scrape_configs: Array<Record<string, any>> };
    const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8")) as { services: Record<string, { command?: string[] }> };
    const stages = Object.entries(compose.services)
      .filter(([, s]) => s.command?.[0] === "service")
      .map(([name]) => name);
    const sca = prom.scrape_configs.find((c) => c.job_name === "sca")!;
    expect([...sca.dns_sd_configs[0].names].sort()).toEqual(stages.sort());
    const vllm = prom.scrape_configs.find((c) => c.job_name === "vllm")!;
    expect(vllm.static_configs[0].targets).toEqual(["vllm:8000"]);
  });

  it("provisions the dashboards that observability/grafana/dashboards.ts defines, unchanged", () => {
    expect(DASHBOARDS.map((d) => d.uid).sort()).toEqual(["sca-inference", "sca-pipeline", "sca-quality", "sca-sandbox"]);
    for (const d of DASHBOARDS)
      expect(
        readFileSync(join(dashboardsDir, `${d.uid}.json`), "utf8"),
        `${d.uid}.json: regenerate with node --import tsx observability/grafana/dashboards.ts`,
      ).toBe(renderDashboard(d));
    const ds = parse(readFileSync(join(ROOT, "observability", "grafana", "provisioning", "datasources", "prometheus.yml"), "utf8"));
    const uids = new Set(
      DASHBOARDS.flatMap((d) => (JSON.parse(renderDashboard(d)).panels as Array<{ datasource: { uid: string } }>).map((p) => p.datasource.uid)),
    );
    expect([...uids]).toEqual([ds.datasources[0].uid]);
  });
});
