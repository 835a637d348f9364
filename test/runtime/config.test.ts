import { describe, expect, it } from "vitest";
import { loadRuntimeConfig } from "../../services/runtime/config.ts";

describe("runtime configuration", () => {
  it("reads the environment, with flags on top, and fills defaults", () => {
    const cfg = loadRuntimeConfig(
      { SCA_TRANSPORT: "kafka", KAFKA_BROKERS: "127.0.0.1:9092", SCA_CONCURRENCY: "8", SCA_INSTANCE_ID: "pod-1" },
      { concurrency: "200" },
    );
    expect(cfg).toMatchObject({
      transport: "kafka",
      brokers: "127.0.0.1:9092",
      concurrency: 200,
      instanceId: "pod-1",
      maxAttempts: 5,
      metricsPort: 9464,
      stateDir: ".sca-state",
    });
    expect(loadRuntimeConfig({}).transport).toBe("embedded");
    expect(loadRuntimeConfig({}).instanceId.length).toBeGreaterThan(0);
  });

  it("names the variable and the value that is wrong", () => {
    expect(() => loadRuntimeConfig({ SCA_TRANSPORT: "kafak" })).toThrow(/transport \(SCA_TRANSPORT\): .* \(got "kafak"\)/);
    expect(() => loadRuntimeConfig({ SCA_CONCURRENCY: "lots" })).toThrow(/concurrency \(SCA_CONCURRENCY\): .*\(got "lots"\)/);
    expect(() => loadRuntimeConfig({}, { metricsPort: "70000" })).toThrow(/metricsPort \(SCA_METRICS_PORT\): .*\(got "70000"\)/);
    expect(() => loadRuntimeConfig({ SCA_TRANSPORT: "kafka" })).toThrow(/SCA_TRANSPORT=kafka needs KAFKA_BROKERS/);
    expect(() => loadRuntimeConfig({ SCHEMA_REGISTRY_URL: "not a url" })).toThrow(/registryUrl \(SCHEMA_REGISTRY_URL\)/);
  });
});
