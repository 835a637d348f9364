// `npm run bench -- infra`: how long the test infrastructure takes to start and how much memory it
// holds: a fresh KRaft broker (cold start, restart on the same data, RSS idle and after traffic) and
// the schema registry (cold start, RSS idle and after registering the catalogue). Needs nothing
// running: it starts private instances with the same scripts the tests use.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { RegistryCodec } from "../../services/runtime/registry-codec.ts";
import { table } from "../../services/cli/catalogue-report.ts";

const sh = promisify(execFile);
const infra = join(import.meta.dirname, "..", "infra");
const RECORDS = 50_000;

function rssMiB(pidFile: string): number {
  const pid = readFileSync(pidFile, "utf8").trim();
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, Math.round(performance.now() - t0)];
}

/** The start scripts report the time from launching the JVM to ready, i.e. without waiting for the port lock. */
function reportedMs(stderr: string): number {
  return Number(/ready .* in (\d+) ms/.exec(stderr)?.[1] ?? Number.NaN);
}

function exportsOf(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

export async function run(_args: string[]): Promise<{ table: string; data: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), "sca-bench-infra-"));
  const env = { ...process.env, SCA_INFRA_RUN: dir, KAFKA_PORT: "", REGISTRY_PORT: "" };
  const load = loadavg()[0];
  try {
    const [kStart, kafkaColdMs] = await timed(() => sh("bash", [join(infra, "start-kafka.sh")], { env }));
    const k = exportsOf(kStart.stdout);
    const kafkaJvmMs = reportedMs(kStart.stderr);
    const kafkaPid = join(dir, "kafka", "pid");
    const kafkaIdleMiB = rssMiB(kafkaPid);
    const [, kafkaRestartMs] = await timed(async () => {
      await sh("bash", [k.SCA_KAFKA_CTL, "stop"]);
      await sh("bash", [k.SCA_KAFKA_CTL, "start"]);
    });
    const t = new KafkaTransport({ brokers: k.KAFKA_BROKERS.split(","), clientId: "bench-infra" }, pino({ level: "fatal" }));
    await t.admin().createTopics([{ name: "bench-infra", partitions: 6 }]);
    const p = await t.producer();
    const value = Buffer.alloc(512, 120);
    const [, produceMs] = await timed(async () => {
      for (let i = 0; i < RECORDS; i += 1_000) await p.send(Array.from({ length: 1_000 }, (_, j) => ({ topic: "bench-infra", key: `k${i + j}`, value })));
    });
    await p.close();
    await t.close();
    const kafkaLoadedMiB = rssMiB(kafkaPid);

    const [rStart, registryColdMs] = await timed(() => sh("bash", [join(infra, "start-registry.sh")], { env }));
    const r = exportsOf(rStart.stdout);
    const registryJvmMs = reportedMs(rStart.stderr);
    const registryPid = join(dir, "registry", "pid");
    const registryIdleMiB = rssMiB(registryPid);
    const codec = new RegistryCodec({ url: r.SCHEMA_REGISTRY_URL });
    const [, registerMs] = await timed(async () => {
      for (const s of allTopicSpecs()) await codec.schemaId(s.name);
    });
    const registryLoadedMiB = rssMiB(registryPid);

    const data = {
      loadAverage1m: Number(load.toFixed(1)),
      kafka: {
        coldStartMs: kafkaColdMs,
        jvmToReadyMs: kafkaJvmMs,
        restartMs: kafkaRestartMs,
        rssIdleMiB: kafkaIdleMiB,
        rssAfterTrafficMiB: kafkaLoadedMiB,
        produced: RECORDS,
        produceMs,
        heap: "-Xms256m -Xmx768m",
      },
      registry: {
        coldStartMs: registryColdMs,
        jvmToReadyMs: registryJvmMs,
        rssIdleMiB: registryIdleMiB,
        rssAfterRegisteringMiB: registryLoadedMiB,
        schemas: allTopicSpecs().length,
        registerMs,
        heap: "-Xms64m -Xmx256m, C1 only",
      },
    };
    const rows = [
      [
        "kafka 3.9.2 (KRaft, 1 node)",
        `${kafkaColdMs}`,
        `${kafkaJvmMs}`,
        `${kafkaRestartMs}`,
        `${kafkaIdleMiB}`,
        `${kafkaLoadedMiB} after ${RECORDS} x 512 B (${produceMs} ms)`,
      ],
      [
        "apicurio registry 3.0.9",
        `${registryColdMs}`,
        `${registryJvmMs}`,
        "-",
        `${registryIdleMiB}`,
        `${registryLoadedMiB} after ${allTopicSpecs().length} schemas (${registerMs} ms)`,
      ],
    ];
    const text = `${table(["component", "start script ms", "JVM to ready ms", "stop+start ms", "RSS idle MiB", "RSS after use MiB"], rows)}\n\n"start script" includes waiting for the port lock other test runs hold while they start and (Kafka) formatting the storage; "JVM to ready" is launch to serving. Both use the class-data sharing archives made at install.\n1-minute load average at start: ${load.toFixed(1)} on 2 cores (the machine is shared; start times grow with load).`;
    return { table: text, data };
  } finally {
    await sh("bash", [join(infra, "stop-registry.sh")], { env }).catch(() => undefined);
    await sh("bash", [join(infra, "stop-kafka.sh")], { env }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
