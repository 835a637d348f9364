import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { schemaFor } from "../../schemas/topics.ts";
import { type Codec, JsonCodec, type SchemaLookup } from "./codec.ts";
import type { Transport } from "./transport.ts";

const int = (min: number) => z.coerce.number().int().min(min);

/**
 * How a service runs, from the environment with command-line flags on top. Everything a
 * deployment sets is here, each with the variable that sets it.
 */
export const RuntimeConfig = z
  .object({
    transport: z.enum(["kafka", "embedded"]).default("embedded"),
    brokers: z.string().optional(),
    registryUrl: z.url().optional(),
    stateDir: z.string().min(1).default(".sca-state"),
    /** State stores on local disk; default <stateDir>/stores/<instanceId>, so replicas on one machine never share one. */
    storeDir: z.string().min(1).optional(),
    metricsPort: int(0).max(65_535).default(9464),
    concurrency: int(1).optional(),
    maxAttempts: int(1).default(5),
    commitIntervalMs: int(1).default(100),
    maxCommitRecords: int(1).default(1_000),
    shutdownTimeoutMs: int(0).default(30_000),
    instanceId: z
      .string()
      .min(1)
      .default(() => hostname()),
    groupId: z.string().min(1).optional(),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .refine((c) => c.transport !== "kafka" || !!c.brokers?.trim(), {
    message: "SCA_TRANSPORT=kafka needs KAFKA_BROKERS (host:port[,host:port...])",
    path: ["brokers"],
  });
export type RuntimeConfig = z.output<typeof RuntimeConfig>;
export type RuntimeFlags = Partial<Record<keyof RuntimeConfig, string | number | undefined>>;

/** Which environment variable sets which field: also how errors name the culprit. */
export const ENV_VARS: Record<keyof RuntimeConfig, string> = {
  transport: "SCA_TRANSPORT",
  brokers: "KAFKA_BROKERS",
  registryUrl: "SCHEMA_REGISTRY_URL",
  stateDir: "SCA_STATE_DIR",
  storeDir: "SCA_STORE_DIR",
  metricsPort: "SCA_METRICS_PORT",
  concurrency: "SCA_CONCURRENCY",
  maxAttempts: "SCA_MAX_ATTEMPTS",
  commitIntervalMs: "SCA_COMMIT_INTERVAL_MS",
  maxCommitRecords: "SCA_MAX_COMMIT_RECORDS",
  shutdownTimeoutMs: "SCA_SHUTDOWN_TIMEOUT_MS",
  instanceId: "SCA_INSTANCE_ID",
  groupId: "SCA_GROUP_ID",
  logLevel: "LOG_LEVEL",
};

export function loadRuntimeConfig(env: NodeJS.ProcessEnv, flags: RuntimeFlags = {}): RuntimeConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(ENV_VARS)) {
    const v = flags[field as keyof RuntimeConfig] ?? env[variable];
    if (v !== undefined && v !== "") raw[field] = v;
  }
  const r = RuntimeConfig.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const field = String(i.path[0] ?? "") as keyof RuntimeConfig;
    const shown = raw[field] === undefined ? "missing" : JSON.stringify(raw[field]);
    return `${field} (${ENV_VARS[field] ?? "?"}): ${i.message} (got ${shown})`;
  });
  throw new Error(`invalid runtime configuration: ${problems.join("; ")}`);
}

/** Where this process keeps its stages' state stores. */
export function storeDirOf(cfg: RuntimeConfig): string {
  return resolve(cfg.storeDir ?? join(cfg.stateDir, "stores", cfg.instanceId));
}

/** The transport the configuration names; the embedded log lives under the state directory. */
export async function buildTransport(cfg: RuntimeConfig): Promise<Transport> {
  if (cfg.transport === "embedded") {
    const { EmbeddedTransport } = await import("./embedded/index.ts");
    return EmbeddedTransport.open(resolve(cfg.stateDir, "log"));
  }
  const { KafkaTransport, parseBrokers } = await import("./kafka/index.ts");
  return new KafkaTransport({ brokers: parseBrokers(cfg.brokers) });
}

/** Confluent wire format through the registry when one is configured (Kafka); validated JSON otherwise. */
export async function buildCodec(cfg: RuntimeConfig, schemas: SchemaLookup = schemaFor): Promise<Codec> {
  if (cfg.transport === "kafka" && cfg.registryUrl) {
    const { RegistryCodec } = await import("./registry-codec.ts");
    return new RegistryCodec({ url: cfg.registryUrl, schemas });
  }
  return new JsonCodec(schemas);
}
