/**
 * What the dashboards' acceptance test watches: a real Prometheus, started first and scraping every
 * second with the shipped alert rules loaded, and one `sca run --metrics-port` over a seeds file
 * with a scripted OpenAI-compatible LLM that answers like a busy server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { SAMPLES, seedsFor, startScriptedLlm } from "../e2e/support/scripted-llm.ts";
import { type ScriptedServer, startScriptedServer } from "../llm/scripted-server.ts";
import { type Child, spawnTs } from "../runtime/support/killer.ts";
import { freePort, PROMETHEUS_BIN, PROMTOOL_BIN, ROOT, run } from "./repo.ts";

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, alive: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = alive();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The scripted LLM behind a front that behaves like a busy vLLM: every 7th request gets a 429 (the
 * client retries it), and the first two attempts at the two_pass seed's concepts too, which
 * exhausts the client's LLM_MAX_ATTEMPTS=2 so that the runner retries the record itself.
 */
async function busyLlm(upstream: ScriptedServer): Promise<ScriptedServer> {
  const attempts = new Map<string, number>();
  return startScriptedServer({
    async respond(req) {
      const prompt = String(req.body.prompt ?? "");
      const n = (attempts.get(prompt) ?? 0) + 1;
      attempts.set(prompt, n);
      const exhaust = prompt.trimEnd().endsWith("### Concepts") && prompt.includes("def two_pass(") && n <= 2;
      if (exhaust || req.seq % 7 === 3) return { status: 429, body: JSON.stringify({ error: { message: "busy" } }), headers: { "retry-after": "0" } };
      const res = await fetch(`${upstream.url}${req.path.replace(/^\/v1/, "")}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(req.body),
      });
      const body = (await res.json()) as {
        choices: Array<{ text: string; finish_reason: string }>;
        usage: { prompt_tokens: number; completion_tokens: number };
      };
      return { texts: body.choices.map((c) => c.text), finish_reason: body.choices[0]?.finish_reason, usage: body.usage };
    },
  });
}

/** The run's probes and metrics text, read while it was running. */
export interface Probes {
  healthz: number;
  readyz: number;
  metrics: string;
}

export interface LiveRun {
  prometheusUrl: string;
  /** Seconds since the epoch: the run's start and end, the range its panels are queried over. */
  startedAt: number;
  endedAt: number;
  probes: Probes;
  /** `sca run`'s stdout (the funnel table and "done: N rows"). */
  stdout: string;
  query(expr: string, opts?: { start: number; end: number; step: number }): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>>;
  close(): Promise<void>;
}

async function stopProcess(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  const t = setTimeout(() => p.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(t);
}

/** Starts Prometheus, then `sca run` on `seedNames`, and returns once the run finished by itself. */
export async function liveRun(seedNames: string[], timeoutMs: number): Promise<LiveRun> {
  const dir = mkdtempSync(join(tmpdir(), "sca-deploy-"));
  let prometheus: ChildProcess | undefined;
  let sca: Child | undefined;
  let llm: ScriptedServer | undefined;
  let front: ScriptedServer | undefined;
  const close = async () => {
    await stopProcess(sca?.proc);
    await stopProcess(prometheus);
    await front?.close();
    await llm?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // A second per answer, as a real server takes: calls then spread over several scrapes, so the
    // latency histograms' rates see increases (Prometheus cannot rate a series' first sample).
    llm = await startScriptedLlm({ delayMs: 1_000 });
    front = await busyLlm(llm);
    const seedsFile = join(dir, "seeds.jsonl");
    writeFileSync(
      seedsFile,
      seedsFor(seedNames)
        .map((s) => JSON.stringify(s))
        .join("\n") + "\n",
    );

    // The shipped rules, with this machine's one target instead of compose's service names.
    const [metricsPort, promPort] = [await freePort(), await freePort()];
    const config = {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [join(ROOT, "observability", "prometheus", "alerts.yml")],
      scrape_configs: [{ job_name: "sca", static_configs: [{ targets: [`127.0.0.1:${metricsPort}`], labels: { service: "sca-run" } }] }],
    };
    writeFileSync(join(dir, "prometheus.yml"), stringify(config));
    run(PROMTOOL_BIN, ["check", "config", join(dir, "prometheus.yml")]);
    let promLog = "";
    prometheus = spawn(
      PROMETHEUS_BIN,
      [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    prometheus.stderr!.on("data", (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4_000)));
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitFor(
      "prometheus",
      60_000,
      async () => (await fetch(`${prometheusUrl}/-/ready`)).ok,
      () => (prometheus!.exitCode !== null ? `exited (${prometheus!.exitCode}): ${promLog}` : undefined),
    );

    const startedAt = Date.now() / 1000;
    let stdout = "";
    sca = spawnTs(
      [
        join(ROOT, "bin", "sca.js"),
        "run",
        "--seeds",
        seedsFile,
        "--limit",
        "100",
        "--samples",
        String(SAMPLES),
        "--state",
        join(dir, "state"),
        "--out",
        join(dir, "out"),
        "--llm-base-url",
        front.url,
        "--llm-model",
        "scripted",
        "--sandbox",
        "bwrap",
        "--sandbox-timeout",
        "5",
        "--straggler-timeout-ms",
        "5000",
        "--progress",
        "none",
        "--metrics-port",
        String(metricsPort),
      ],
      { ...process.env, LLM_MAX_ATTEMPTS: "2", LLM_RETRY_BASE_MS: "50", LLM_RETRY_MAX_MS: "200", SCA_SINK_FLUSH_MS: "500", LOG_LEVEL: "warn" },
      (line) => (stdout += `${line}\n`),
    );
    const proc = sca;
    const base = `http://127.0.0.1:${metricsPort}`;
    const dead = () => (proc.proc.exitCode !== null ? `sca run exited (${proc.proc.exitCode}) before it was ready: ${proc.stderrTail()}` : undefined);
    await waitFor("sca run /readyz", 120_000, async () => (await fetch(`${base}/readyz`)).ok, dead);
    const probes: Probes = {
      healthz: (await fetch(`${base}/healthz`)).status,
      readyz: (await fetch(`${base}/readyz`)).status,
      metrics: await (await fetch(`${base}/metrics`)).text(),
    };
    // The last /metrics text before the run ends shows every stage at work.
    const sampling = setInterval(() => {
      fetch(`${base}/metrics`).then(
        async (r) => r.ok && (probes.metrics = await r.text()),
        () => undefined,
      );
    }, 1_000);
    const timer = setTimeout(() => proc.proc.kill("SIGKILL"), timeoutMs);
    const code = await proc.exited;
    clearTimeout(timer);
    clearInterval(sampling);
    if (code !== 0) throw new Error(`sca run exited ${code ?? "by a signal (timeout?)"}: ${proc.stderrTail()}\n${stdout}`);
    return {
      prometheusUrl,
      startedAt,
      endedAt: Date.now() / 1000,
      probes,
      stdout,
      async query(expr, range) {
        const params = new URLSearchParams({ query: expr, ...(range ? { start: String(range.start), end: String(range.end), step: String(range.step) } : {}) });
        const res = await fetch(`${prometheusUrl}/api/v1/${range ? "query_range" : "query"}?${params}`);
        const body = (await res.json()) as {
          status: string;
          error?: string;
          data: { result: Array<{ metric: Record<string, string>; values?: Array<[number, string]>; value?: [number, string] }> };
        };
        if (body.status !== "success") throw new Error(`prometheus rejected ${expr}: ${body.error}`);
        return body.data.result.map((r) => ({ metric: r.metric, values: r.values ?? (r.value ? [r.value] : []) }));
      },
      close,
    };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
