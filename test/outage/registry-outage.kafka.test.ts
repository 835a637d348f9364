import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { RegistryCodec } from "../../services/runtime/registry-codec.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import { metricValue } from "../llm/support.ts";
import { drain, until } from "../runtime/support/drain.ts";
import { item, itemSchemas } from "../runtime/support/items.ts";

const run = promisify(execFile);
const infra = join(import.meta.dirname, "..", "infra");
const N = 100;

/**
 * A stage whose codec meets the schema registry gone: its records wait (none to the DLQ), and it
 * resumes by itself once the registry answers again. A registry of its own, so stopping it touches
 * no other test, with its storage in a file (as a deployed one keeps it in SQL or Kafka), so it
 * comes back with the schemas it had.
 */
describe("the registry codec through a registry restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "sca-registry-outage-"));
  const env = {
    ...process.env,
    SCA_INFRA_RUN: join(dir, "infra"),
    REGISTRY_JVM_OPTS: `-Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -Dapicurio.datasource.url=jdbc:h2:file:${join(dir, "registry-db")}`,
  };
  let url: string;
  const start = async (port?: string) => {
    const { stdout } = await run("bash", [join(infra, "start-registry.sh")], { env: { ...env, ...(port ? { REGISTRY_PORT: port } : {}) } });
    return /SCHEMA_REGISTRY_URL=(\S+)/.exec(stdout)![1];
  };
  const stop = () => run("bash", [join(infra, "stop-registry.sh")], { env });
  beforeAll(async () => {
    url = await start();
  }, 300_000);
  afterAll(async () => {
    await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds the records while the registry is down and processes every one once it is back", async () => {
    const transport = EmbeddedTransport.open(join(dir, "log"), { fsync: false });
    await transport.admin().createTopics([
      { name: "reg.0", partitions: 2 },
      { name: "reg.1", partitions: 2 },
      { name: "reg.0.dlq", partitions: 1 },
    ]);
    const writer = new RegistryCodec({ url, schemas: itemSchemas });
    const ids = [await writer.schemaId("reg.0"), await writer.schemaId("reg.1")];
    const p = await transport.producer();
    await p.send(
      await Promise.all(Array.from({ length: N }, async (_, i) => ({ topic: "reg.0", key: `item-${i}`, value: await writer.encode("reg.0", item(i)) }))),
    );
    await p.close();

    await stop();
    const registry = new Registry();
    const codec = new RegistryCodec({ url, schemas: itemSchemas });
    const stage = {
      name: "reg",
      input: "reg.0",
      outputs: ["reg.1"],
      process: async (x: unknown) => [{ topic: "reg.1", key: (x as { id: string }).id, value: x }],
    };
    const runner = new StageRunner({
      transport,
      codec,
      stage,
      registry,
      log: pino({ level: "silent" }),
      maxAttempts: 2,
      backoff: { baseMs: 10, maxMs: 50 },
      probeBackoff: { baseMs: 200, maxMs: 1_000 },
    });
    await runner.start();
    try {
      await until(() => runner.outages.some((o) => o.dependency === "registry"), "the stage to see the registry down", 30_000);
      expect(await metricValue(registry, "sca_dependency_up", { stage: "reg", dependency: "registry" })).toBe(0);
      // Far longer than maxAttempts × backoff: without the outage handling every record would be in the DLQ by now.
      await new Promise((r) => setTimeout(r, 5_000));
      expect(await metricValue(registry, "sca_records_failed_total")).toBe(0);
      expect(runner.inFlight).toBeGreaterThan(0);

      await start(new URL(url).port);

      const out = await drain(transport, "reg.1", { min: N, timeoutMs: 60_000 });
      expect(new Set(out.map((r) => r.key)).size).toBe(N);
      expect(out).toHaveLength(N);
      expect(await metricValue(registry, "sca_dependency_up", { stage: "reg", dependency: "registry" })).toBe(1);
      expect(await metricValue(registry, "sca_dependency_outage_seconds_total", { stage: "reg", dependency: "registry" })).toBeGreaterThan(5);
      expect(await metricValue(registry, "sca_records_failed_total")).toBe(0);
      expect([await codec.schemaId("reg.0"), await codec.schemaId("reg.1")]).toEqual(ids);
    } finally {
      await runner.close();
      await transport.close();
    }
  }, 300_000);
});
