/**
 * The deployment topology of docker-compose.yml on one machine, for the dashboards' acceptance
 * test: a Kafka broker of its own, `sca topics create`, every stage as its own `sca service`
 * process, a scripted OpenAI-compatible LLM, and a real Prometheus scraping them every second
 * with the shipped alert rules loaded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildCodec, loadRuntimeConfig } from "../../services/runtime/config.ts";
import { KafkaTransport, parseBrokers } from "../../services/runtime/kafka/index.ts";
import { seedsFor, startScriptedLlm } from "../e2e/support/scripted-llm.ts";
import { type PrivateBroker, startPrivateBroker } from "../kafka/private-broker.ts";
import { type ScriptedServer, startScriptedServer } from "../llm/scripted-server.ts";
import { type Child, spawnTs } from "../runtime/support/killer.ts";
import { PROMETHEUS_BIN, PROMTOOL_BIN, ROOT, run } from "./repo.ts";

export const STAGES = ["concepts", "instructions", "responses", "verdicts", "selector", "sink"] as const;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

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

const ok = (url: string) => async () => (await fetch(url)).ok;

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
      const res = await fetch(`${upstream.url}${req.path.replace(/^\/v1/, "")}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(req.body) });
      const body = (await res.json()) as { choices: Array<{ text: string; finish_reason: string }>; usage: { prompt_tokens: number; completion_tokens: number } };
      return { texts: body.choices.map((c) => c.text), finish_reason: body.choices[0]?.finish_reason, usage: body.usage };
    },
  });
}

export interface LiveStack {
  prometheusUrl: string;
  metricsUrls: Record<(typeof STAGES)[number], string>;
  /** Seconds since the epoch when the services were ready. */
  startedAt: number;
  query(expr: string, opts?: { start: number; end: number; step: number }): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>>;
  publishSeeds(names: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startLiveStack(): Promise<LiveStack> {
  const dir = mkdtempSync(join(tmpdir(), "sca-deploy-"));
  const children: Child[] = [];
  let prometheus: ChildProcess | undefined;
  let broker: PrivateBroker | undefined;
  let llm: ScriptedServer | undefined;
  let front: ScriptedServer | undefined;
  const close = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
        const t = setTimeout(() => c.proc.kill("SIGKILL"), 30_000);
        await c.exited;
        clearTimeout(t);
      }),
    );
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once("exit", r));
      prometheus.kill("SIGTERM");
      await exited;
    }
    await front?.close();
    await llm?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    broker = await startPrivateBroker();
    // A second per answer, as a real server takes: calls then spread over several scrapes, so the
    // latency histograms' rates see increases (Prometheus cannot rate a series' first sample).
    llm = await startScriptedLlm({ delayMs: 1_000 });
    front = await busyLlm(llm);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SCA_TRANSPORT: "kafka",
      KAFKA_BROKERS: broker.brokers.join(","),
      LLM_BASE_URL: front.url,
      LLM_MODEL: "scripted",
      LLM_MAX_ATTEMPTS: "2",
      LLM_RETRY_BASE_MS: "50",
      LLM_RETRY_MAX_MS: "200",
      SCA_RUN_ID: "deploy-acceptance",
      SCA_RESPONSES_SAMPLES: "3",
      SCA_SANDBOX_BACKEND: "bwrap",
      SCA_SANDBOX_TIMEOUT: "5",
      SCA_OUT_DIR: join(dir, "out"),
      SCA_STRAGGLER_TIMEOUT_MS: "5000",
      SCA_SINK_FLUSH_MS: "500",
      SCA_COMMIT_INTERVAL_MS: "50",
      LOG_LEVEL: "warn",
      SCA_KAFKA_LOG_LEVEL: "fatal",
    };
    // Idempotent; a broker still electing leaders right after its start can refuse the first try.
    for (let attempt = 1; ; attempt++) {
      try {
        run(process.execPath, [join(ROOT, "bin", "sca.js"), "topics", "create"], { env });
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 3_000));
      }
    }

    const ports = await Promise.all(STAGES.map(() => freePort()));
    const metricsUrls = Object.fromEntries(STAGES.map((s, i) => [s, `http://127.0.0.1:${ports[i]}`])) as LiveStack["metricsUrls"];
    STAGES.forEach((s, i) => children.push(spawnTs([join(ROOT, "bin", "sca.js"), "service", s, "--metrics-port", String(ports[i])], env)));
    for (const [i, s] of STAGES.entries()) {
      const c = children[i];
      await waitFor(`sca service ${s}`, 300_000, ok(`${metricsUrls[s]}/readyz`), () => (c.proc.exitCode !== null ? `exited (${c.proc.exitCode}): ${c.stderrTail()}` : undefined));
    }

    // The shipped rules, with the scrape targets of this machine instead of compose's DNS names.
    const promPort = await freePort();
    const config = {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [join(ROOT, "observability", "prometheus", "alerts.yml")],
      scrape_configs: [{ job_name: "sca", static_configs: STAGES.map((s, i) => ({ targets: [`127.0.0.1:${ports[i]}`], labels: { service: s } })) }],
    };
    writeFileSync(join(dir, "prometheus.yml"), stringify(config));
    run(PROMTOOL_BIN, ["check", "config", join(dir, "prometheus.yml")]);
    let promLog = "";
    prometheus = spawn(PROMETHEUS_BIN, [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ["ignore", "ignore", "pipe"] });
    prometheus.stderr!.on("data", (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4_000)));
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitFor("prometheus", 60_000, ok(`${prometheusUrl}/-/ready`), () => (prometheus!.exitCode !== null ? `exited (${prometheus!.exitCode}): ${promLog}` : undefined));
    const startedAt = Date.now() / 1000;

    const transport = new KafkaTransport({ brokers: parseBrokers(env.KAFKA_BROKERS) });
    const codec = await buildCodec(loadRuntimeConfig(env));
    return {
      prometheusUrl,
      metricsUrls,
      startedAt,
      async query(expr, range) {
        const params = new URLSearchParams({ query: expr, ...(range ? { start: String(range.start), end: String(range.end), step: String(range.step) } : {}) });
        const res = await fetch(`${prometheusUrl}/api/v1/${range ? "query_range" : "query"}?${params}`);
        const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; values?: Array<[number, string]>; value?: [number, string] }> } };
        if (body.status !== "success") throw new Error(`prometheus rejected ${expr}: ${body.error}`);
        return body.data.result.map((r) => ({ metric: r.metric, values: r.values ?? (r.value ? [r.value] : []) }));
      },
      async publishSeeds(names) {
        const p = await transport.producer();
        await p.send(await Promise.all(seedsFor(names).map(async (s) => ({ topic: "seeds", key: s.id, value: await codec.encode("seeds", s) }))));
        await p.close();
      },
      async close() {
        await transport.close();
        await close();
      },
    };
  } catch (e) {
    const tails = children.map((c, i) => `${STAGES[i]}: ${c.stderrTail().slice(-600)}`).join("\n");
    await close().catch(() => undefined);
    throw new Error(`${(e as Error).message}\n${tails}`);
  }
}
