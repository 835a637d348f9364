import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DlqEnvelope } from "../../schemas/records.ts";
import { type Dependency, DependencyUnavailableError, formatDowntime } from "../../services/runtime/dependency.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { startHealthServer } from "../../services/runtime/http.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import { metricValue } from "../llm/support.ts";
import { drain, until } from "./support/drain.ts";
import { item, itemCodec, type Item } from "./support/items.ts";

/** A dependency whose health the test sets: what is under test is the runner's reaction to it. */
function switchable(): Dependency & { up: boolean; probes: number } {
  const d = {
    name: "backend",
    target: "the test backend",
    up: true,
    probes: 0,
    probe: async () => {
      d.probes++;
      if (!d.up) throw new Error("backend down");
    },
  };
  return d;
}

describe("StageRunner and dependency outages", () => {
  let dir: string;
  let transport: EmbeddedTransport;
  const codec = itemCodec();
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "sca-outage-"));
    transport = EmbeddedTransport.open(dir, { fsync: false });
    await transport.admin().createTopics([
      { name: "in", partitions: 2 },
      { name: "out", partitions: 2 },
      { name: "in.dlq", partitions: 1 },
    ]);
    const p = await transport.producer();
    await p.send(Array.from({ length: 20 }, (_, i) => ({ topic: "in", key: `item-${i}`, value: codec.encode("in", item(i)) as Buffer })));
    await p.close();
  });
  afterEach(async () => {
    await transport.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a stage that forwards `in` to `out` over the dependency, throwing what `fault` returns for a record, through `body`. */
  async function withRunner(
    dep: Dependency,
    fault: (x: Item) => Error | undefined,
    registry: Registry,
    body: (r: StageRunner) => Promise<void>,
  ): Promise<void> {
    const stage: StageDef = {
      name: "s",
      input: "in",
      outputs: ["out"],
      dependencies: [dep],
      process: async (x) => {
        const e = fault(x as Item);
        if (e) throw e;
        return [{ topic: "out", key: (x as Item).id, value: x }];
      },
    };
    const r = new StageRunner({
      transport,
      codec,
      stage,
      registry,
      log: pino({ level: "silent" }),
      maxAttempts: 3,
      backoff: { baseMs: 5, maxMs: 20 },
      probeBackoff: { baseMs: 50, maxMs: 100 },
      commitIntervalMs: 20,
    });
    await r.start();
    try {
      await body(r);
    } finally {
      await r.close();
    }
  }

  it("holds every record while the dependency is down, spends no attempt, and resumes when a probe succeeds", async () => {
    const dep = switchable();
    dep.up = false;
    const registry = new Registry();
    await withRunner(
      dep,
      () => (dep.up ? undefined : new DependencyUnavailableError(dep, "connection refused")),
      registry,
      async (r) => {
        await until(() => r.outages.length === 1, "the outage");
        expect(await metricValue(registry, "sca_dependency_up", { stage: "s", dependency: "backend" })).toBe(0);
        await new Promise((ok) => setTimeout(ok, 1_000));
        // Far more than maxAttempts × backoff, yet nothing is in the DLQ and every record is still held.
        expect(await metricValue(registry, "sca_records_failed_total")).toBe(0);
        expect(r.inFlight).toBeGreaterThan(0);
        expect(dep.probes).toBeGreaterThan(3);
        // /readyz names the outage; /healthz stays green, so nothing restarts a service that only waits.
        const http = await startHealthServer({ port: 0, host: "127.0.0.1", registry, ready: () => r.ready, outages: () => r.outages });
        try {
          const ready = await fetch(`http://127.0.0.1:${http.port}/readyz`);
          expect(ready.status).toBe(503);
          expect(await ready.text()).toMatch(/^s: waiting for the test backend \(down \ds\): backend down/);
          expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(200);
        } finally {
          await http.close();
        }
        dep.up = true;
        const out = await drain(transport, "out", { min: 20 });
        expect(new Set(out.map((o) => o.key)).size).toBe(20);
        expect(r.outages).toEqual([]);
        expect(await metricValue(registry, "sca_dependency_up", { stage: "s", dependency: "backend" })).toBe(1);
        expect(await metricValue(registry, "sca_dependency_outage_seconds_total", { stage: "s", dependency: "backend" })).toBeGreaterThan(0.9);
        expect(await metricValue(registry, "sca_retries_total")).toBe(0);
      },
    );
  });

  it("still sends to the DLQ a record that keeps failing while the dependency answers its probe", async () => {
    const dep = switchable();
    const registry = new Registry();
    await withRunner(
      dep,
      (x) => (x.seq === 7 ? new DependencyUnavailableError(dep, "server error 500 on this prompt") : undefined),
      registry,
      async () => {
        const dlq = await drain(transport, "in.dlq", { min: 1 });
        const env = DlqEnvelope.parse(JSON.parse(dlq[0].value.toString()));
        expect(env).toMatchObject({ key: "item-7", reason: "retries_exhausted", attempts: 3 });
        expect(await drain(transport, "out", { min: 19 })).toHaveLength(19);
        expect(await metricValue(registry, "sca_dependency_up", { stage: "s", dependency: "backend" })).toBe(1);
      },
    );
  });

  it("formats downtime for people", () => {
    expect([formatDowntime(45_000), formatDowntime(80_000), formatDowntime(7_380_000)]).toEqual(["45s", "1m20s", "2h03m"]);
  });
});
