import type { Command } from "commander";
import { stateOption, withStateDir } from "../state-option.ts";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { schemaFor } from "../../../schemas/topics.ts";
import { type RuntimeFlags, buildCodec, buildTransport, loadRuntimeConfig, storeDirOf } from "../../runtime/config.ts";
import { startHealthServer } from "../../runtime/http.ts";
import { StageRunner } from "../../runtime/runner.ts";
import { loadStageModule } from "../../runtime/stage-loader.ts";

type ServiceFlags = {
  stageModule?: string;
  transport?: string;
  brokers?: string;
  registryUrl?: string;
  stateDir?: string;
  storeDir?: string;
  metricsPort?: string;
  concurrency?: string;
  maxAttempts?: string;
  instanceId?: string;
  groupId?: string;
};

export function register(program: Command): void {
  const cmd = program
    .command("service")
    .description("run one stage as a long-lived service: consume its input topic, process, produce; /metrics, /healthz, /readyz")
    .argument("<stage>", "stage name: services/stages/<stage>/stage.ts exports createStage(env)")
    .option("--stage-module <file>", "load the stage from this file instead (it exports createStage(env), optionally schemaFor(topic))")
    .option("--transport <kind>", "kafka | embedded (env SCA_TRANSPORT, default embedded)")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)")
    .option("--registry-url <url>", "Confluent-compatible schema registry (env SCHEMA_REGISTRY_URL)")
    .option("--store-dir <dir>", "state stores on local disk (env SCA_STORE_DIR, default <state>/stores/<instance-id>)")
    .option("--metrics-port <port>", "port for /metrics, /healthz, /readyz; 0 = any free port (env SCA_METRICS_PORT, default 9464)")
    .option("--concurrency <n>", "records in flight per consumer (env SCA_CONCURRENCY, default: the stage's own, else 16)")
    .option("--max-attempts <n>", "tries for a transient error before the DLQ (env SCA_MAX_ATTEMPTS, default 5)")
    .option("--instance-id <id>", "stable id of this replica, fences its predecessor's transactions (env SCA_INSTANCE_ID, default hostname)")
    .option("--group-id <id>", "consumer group (env SCA_GROUP_ID, default the stage name)");
  stateOption(cmd, "embedded log location (env SCA_STATE_DIR, default .sca-state)").action(
    async (stageName: string, flags: ServiceFlags & { state?: string }) => {
      const { stageModule, ...rest } = withStateDir(flags);
      await runService(stageName, stageModule, rest);
    },
  );
}

async function runService(stageName: string, stageModule: string | undefined, flags: RuntimeFlags): Promise<void> {
  const cfg = loadRuntimeConfig(process.env, flags);
  const log = pino({ name: "sca", level: cfg.logLevel });
  // Listening from the start: a replica told to stop while it is still starting (a scale-in right
  // after a scale-out) finishes starting, then stops cleanly, instead of dying to the default handler.
  let signalled = false;
  const stop = new Promise<string>((resolve) => {
    const onSignal = (signal: string) => {
      if (signalled) {
        log.warn({ signal }, "second signal: exiting without waiting");
        process.exit(1);
      }
      signalled = true;
      resolve(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  const mod = await loadStageModule(stageName, stageModule);
  // One registry for the runner's and the stage's own metrics (LLM client, sandbox, selection), so /metrics shows both.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The host builds every connection; the stage only uses them (a second opener of the embedded log would be refused).
  const transport = await buildTransport(cfg);
  const codec = await buildCodec(cfg, mod.schemaFor ?? schemaFor);
  const stage = await mod.createStage({ ...process.env, SCA_STAGE: stageName }, { transport, codec, registry, log, storeDir: storeDirOf(cfg) });
  const runner = new StageRunner({
    transport,
    codec,
    stage,
    registry,
    log,
    groupId: cfg.groupId,
    instanceId: cfg.instanceId,
    concurrency: cfg.concurrency,
    maxAttempts: cfg.maxAttempts,
    commitIntervalMs: cfg.commitIntervalMs,
    maxCommitRecords: cfg.maxCommitRecords,
    shutdownTimeoutMs: cfg.shutdownTimeoutMs,
  });
  const http = await startHealthServer({ port: cfg.metricsPort, registry, ready: () => runner.ready, outages: () => runner.outages });
  log.info({ port: http.port, transport: cfg.transport, instanceId: cfg.instanceId }, "health server listening");

  await runner.start();
  const signal = await stop;
  log.info({ signal }, "stopping: finishing in-flight work");
  await runner.close();
  // After the runner: the stage's last work (the sink's final flush and card) may still read the log.
  await stage.close?.();
  await transport.close();
  await http.close();
  log.info("stopped");
  // Everything is committed and closed. kafkajs can still hold a socket it opened while reconnecting
  // after a broker restart (a disconnect during its reconnect is ignored: tulios/kafkajs#1147); that
  // must not keep a stopped service alive until Kubernetes kills it.
  setTimeout(() => {
    log.warn({ resources: process.getActiveResourcesInfo() }, "resources still open after a clean stop; exiting anyway");
    process.exit(0);
  }, 2_000).unref();
}
