/**
 * The Grafana dashboards, as data: `node --import tsx observability/grafana/dashboards.ts` writes
 * dashboards/<uid>.json, which Grafana provisions from files (provisioning/dashboards/sca.yml). A
 * test keeps the JSON equal to this source, and runs every panel's query against a Prometheus that
 * scraped a real `sca run`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PanelDef {
  title: string;
  /** PromQL; `$stage` is the dashboard's stage filter, `$__rate_interval` Grafana's rate window. */
  queries: Array<{ expr: string; legend: string }>;
  unit: string;
  kind?: "timeseries" | "stat" | "bargauge";
  description?: string;
}

export interface DashboardDef {
  uid: string;
  title: string;
  description: string;
  /** Adds the `stage` variable (values from sca_records_in_total). */
  stageFilter: boolean;
  panels: PanelDef[];
}

const S = '{stage=~"$stage"}';
const q = (expr: string, legend: string) => ({ expr, legend });
const rate = (metric: string, by: string, sel = S) => `sum by (${by}) (rate(${metric}${sel}[$__rate_interval]))`;
const quantile = (p: number, metric: string, by: string, sel = S) =>
  `histogram_quantile(${p}, sum by (${by}, le) (rate(${metric}_bucket${sel}[$__rate_interval])))`;

export const DASHBOARDS: DashboardDef[] = [
  {
    uid: "sca-pipeline",
    title: "SelfCodeAlign / Pipeline overview",
    description: "Throughput, lag, latency and failures of every stage",
    stageFilter: true,
    panels: [
      { title: "Records in per second", unit: "ops", queries: [q(rate("sca_records_in_total", "stage"), "{{stage}}")] },
      { title: "Records out per second, by topic", unit: "ops", queries: [q(rate("sca_records_out_total", "topic"), "{{topic}}")] },
      {
        title: "Consumer lag",
        unit: "short",
        description: "Records not yet committed on the partitions each stage owns: what KEDA scales on",
        queries: [q(`sum by (stage) (sca_consumer_lag${S})`, "{{stage}}")],
      },
      { title: "In flight", unit: "short", queries: [q(`sum by (stage) (sca_in_flight${S})`, "{{stage}}")] },
      {
        title: "Processing latency (p50, p95)",
        unit: "s",
        queries: [
          q(quantile(0.5, "sca_process_duration_seconds", "stage"), "p50 {{stage}}"),
          q(quantile(0.95, "sca_process_duration_seconds", "stage"), "p95 {{stage}}"),
        ],
      },
      { title: "Sent to DLQ per second, by reason", unit: "ops", queries: [q(rate("sca_records_failed_total", "stage, reason"), "{{stage}}: {{reason}}")] },
      { title: "Retries per second", unit: "ops", queries: [q(rate("sca_retries_total", "stage"), "{{stage}}")] },
      {
        title: "Dependencies up (0 = outage: records held, not failed)",
        unit: "short",
        description:
          "1 while the LLM server, sandbox engine or registry answers the stage's probe; during an outage the stage waits and nothing goes to the DLQ. Seconds spent waiting, per minute.",
        queries: [
          q(`min by (stage, dependency) (sca_dependency_up${S})`, "up {{stage}}/{{dependency}}"),
          q(`sum by (stage, dependency) (rate(sca_dependency_outage_seconds_total${S}[$__rate_interval])) * 60`, "s down/min {{stage}}/{{dependency}}"),
        ],
      },
      {
        title: "Commits per second and commit latency (p95)",
        unit: "short",
        queries: [q(rate("sca_commits_total", "stage"), "commits/s {{stage}}"), q(quantile(0.95, "sca_commit_duration_seconds", "stage"), "p95 s {{stage}}")],
      },
      {
        title: "Dataset rows",
        kind: "stat",
        unit: "short",
        description: "Rows curation released to the dataset topic",
        queries: [q('sum(sca_records_out_total{topic="dataset"})', "rows")],
      },
      { title: "Resident memory", unit: "bytes", queries: [q("sum by (instance) (process_resident_memory_bytes)", "{{instance}}")] },
    ],
  },
  {
    uid: "sca-inference",
    title: "SelfCodeAlign / Inference",
    description: "The stages' LLM client, and vLLM's own queue, cache and token rates",
    stageFilter: true,
    panels: [
      { title: "LLM requests per second, by outcome", unit: "reqps", queries: [q(rate("sca_llm_requests_total", "stage, outcome"), "{{stage}}: {{outcome}}")] },
      {
        title: "Tokens per second (client side)",
        unit: "short",
        queries: [
          q(rate("sca_llm_prompt_tokens_total", "stage"), "prompt {{stage}}"),
          q(rate("sca_llm_completion_tokens_total", "stage"), "completion {{stage}}"),
        ],
      },
      {
        title: "Request latency (p50, p95)",
        unit: "s",
        queries: [
          q(quantile(0.5, "sca_llm_request_duration_seconds", "stage"), "p50 {{stage}}"),
          q(quantile(0.95, "sca_llm_request_duration_seconds", "stage"), "p95 {{stage}}"),
        ],
      },
      {
        title: "In flight vs adaptive concurrency limit",
        unit: "short",
        queries: [q("sum(sca_llm_in_flight_requests)", "in flight"), q("sum(sca_llm_concurrency_limit)", "limit")],
      },
      { title: "Failed attempts per second, by kind", unit: "ops", queries: [q(rate("sca_llm_errors_total", "stage, kind"), "{{stage}}: {{kind}}")] },
      { title: "Retries per second", unit: "ops", queries: [q(rate("sca_llm_retries_total", "stage"), "{{stage}}")] },
      { title: "Finish reasons", unit: "ops", queries: [q(rate("sca_llm_finish_reasons_total", "stage, reason"), "{{stage}}: {{reason}}")] },
      { title: "Unparsable completions per second", unit: "ops", queries: [q(rate("sca_llm_parse_failures_total", "stage, reason"), "{{stage}}: {{reason}}")] },
      {
        title: "vLLM requests running and waiting",
        unit: "short",
        description: "KEDA scales vLLM on the waiting queue (about 5 per replica)",
        queries: [q("sum(vllm:num_requests_running)", "running"), q("sum(vllm:num_requests_waiting)", "waiting")],
      },
      { title: "vLLM KV cache usage", unit: "percentunit", queries: [q("avg by (instance) (vllm:kv_cache_usage_perc)", "{{instance}}")] },
      {
        title: "vLLM tokens per second",
        unit: "short",
        queries: [
          q("sum(rate(vllm:prompt_tokens_total[$__rate_interval]))", "prompt"),
          q("sum(rate(vllm:generation_tokens_total[$__rate_interval]))", "generation"),
        ],
      },
      {
        title: "vLLM time to first token (p95)",
        unit: "s",
        queries: [q("histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[$__rate_interval])))", "p95")],
      },
    ],
  },
  {
    uid: "sca-sandbox",
    title: "SelfCodeAlign / Sandbox",
    description: "Executions of generated code: outcomes, durations, infrastructure errors",
    stageFilter: false,
    panels: [
      { title: "Verdicts per second, by status", unit: "ops", queries: [q("sum by (status) (rate(sca_verdicts_total[$__rate_interval]))", "{{status}}")] },
      { title: "Verdicts so far, by status", kind: "bargauge", unit: "short", queries: [q("sum by (status) (sca_verdicts_total)", "{{status}}")] },
      {
        title: "Execution time (p50, p95), by status",
        unit: "s",
        queries: [
          q("histogram_quantile(0.5, sum by (status, le) (rate(sca_sandbox_run_duration_seconds_bucket[$__rate_interval])))", "p50 {{status}}"),
          q("histogram_quantile(0.95, sum by (status, le) (rate(sca_sandbox_run_duration_seconds_bucket[$__rate_interval])))", "p95 {{status}}"),
        ],
      },
      {
        title: "Sandbox errors retried per second",
        unit: "ops",
        description: "A sandbox_error is the infrastructure failing, not the code: the verdicts stage retries the record instead of emitting a verdict",
        queries: [q('sum(rate(sca_retries_total{stage="verdicts"}[$__rate_interval]))', "retries")],
      },
      { title: "Verdicts stage lag", unit: "short", queries: [q('sum(sca_consumer_lag{stage="verdicts"})', "lag")] },
      { title: "Verdicts stage in flight", unit: "short", queries: [q('sum(sca_in_flight{stage="verdicts"})', "in flight")] },
    ],
  },
  {
    uid: "sca-quality",
    title: "SelfCodeAlign / Data quality",
    description: "Pass rates by difficulty and category, selection outcomes, dataset growth",
    stageFilter: false,
    panels: [
      {
        title: "Pass rate by difficulty",
        kind: "bargauge",
        unit: "percentunit",
        queries: [q('sum by (difficulty) (sca_verdicts_total{status="pass"}) / sum by (difficulty) (sca_verdicts_total)', "{{difficulty}}")],
      },
      {
        title: "Pass rate by category",
        kind: "bargauge",
        unit: "percentunit",
        queries: [q('sum by (category) (sca_verdicts_total{status="pass"}) / sum by (category) (sca_verdicts_total)', "{{category}}")],
      },
      {
        title: "Pass rate over time",
        unit: "percentunit",
        queries: [q('sum(rate(sca_verdicts_total{status="pass"}[$__rate_interval])) / sum(rate(sca_verdicts_total[$__rate_interval]))', "pass rate")],
      },
      {
        title: "Reward-hacking attempts per model",
        kind: "bargauge",
        unit: "short",
        description:
          "Programs that tried to forge their sandbox completion (read the sealed marker writer, scan gc or process memory, trace, forge the marker), by model and kind: each is judged fail (services/sandbox/README.md)",
        queries: [q("sum by (model, kind) (sca_verdict_tampering_total)", "{{model}} {{kind}}")],
      },
      { title: "Selection outcomes", kind: "bargauge", unit: "short", queries: [q("sum by (outcome) (sca_selections_total)", "{{outcome}}")] },
      {
        title: "Curation: pairs dropped, by rule",
        kind: "bargauge",
        unit: "short",
        description:
          "Selected pairs the reference's clean-up removes: format checks, long instructions, exact and near duplicates (sca_curation_dropped_total)",
        queries: [q("sum by (rule) (sca_curation_dropped_total)", "{{rule}}")],
      },
      { title: "Dataset growth (rows per second)", unit: "ops", queries: [q('sum(rate(sca_records_out_total{topic="dataset"}[$__rate_interval]))', "rows/s")] },
      {
        title: "Instructions per dataset row",
        kind: "stat",
        unit: "short",
        description: "Instructions generated per row kept: the cost of one row",
        queries: [q('sum(sca_records_out_total{topic="instructions"}) / sum(sca_records_out_total{topic="dataset"})', "ratio")],
      },
      {
        title: "Records sent to DLQ, by stage and reason",
        kind: "bargauge",
        unit: "short",
        queries: [q("sum by (stage, reason) (sca_records_failed_total)", "{{stage}}: {{reason}}")],
      },
    ],
  },
];

const DATASOURCE = { type: "prometheus", uid: "prometheus" };

function panelJson(p: PanelDef, id: number, x: number, y: number): Record<string, unknown> {
  const kind = p.kind ?? "timeseries";
  const options =
    kind === "timeseries"
      ? { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } }
      : { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, orientation: "horizontal" };
  return {
    id,
    type: kind,
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    gridPos: { h: 8, w: 12, x, y },
    datasource: DATASOURCE,
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options,
    targets: p.queries.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: t.expr,
      legendFormat: t.legend,
      range: kind === "timeseries",
      instant: kind !== "timeseries",
    })),
  };
}

export function dashboardJson(d: DashboardDef): Record<string, unknown> {
  const stageVar = {
    name: "stage",
    label: "stage",
    type: "query",
    datasource: DATASOURCE,
    query: { query: "label_values(sca_records_in_total, stage)", refId: "stage" },
    definition: "label_values(sca_records_in_total, stage)",
    includeAll: true,
    allValue: ".*",
    multi: true,
    current: { text: "All", value: "$__all" },
    refresh: 2,
    sort: 1,
  };
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ["selfcodealign"],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    timezone: "browser",
    templating: { list: d.stageFilter ? [stageVar] : [] },
    panels: d.panels.map((p, i) => panelJson(p, i + 1, (i % 2) * 12, Math.floor(i / 2) * 8)),
  };
}

export const dashboardsDir = join(dirname(fileURLToPath(import.meta.url)), "dashboards");

export function renderDashboard(d: DashboardDef): string {
  return `${JSON.stringify(dashboardJson(d), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const d of DASHBOARDS) writeFileSync(join(dashboardsDir, `${d.uid}.json`), renderDashboard(d));
}
