import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId } from "../../schemas/common.ts";
import type { Response, Verdict } from "../../schemas/records.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import { createStage } from "../../services/stages/verdicts/stage.ts";
import { metricValue } from "../llm/support.ts";
import { drain, until } from "../runtime/support/drain.ts";
import { addResponse, fenced } from "../sandbox/add-response.ts";
import { PrivateDockerd } from "./private-dockerd.ts";

const N = 40;

const response = (i: number): Response =>
  addResponse(
    contentId({ parent: `task-${i}`, stage: "instructions" }),
    0,
    1,
    fenced("def add(a, b):\n    return a + b\n", `assert add(${i}, 1) == ${i + 1}\n`),
  );

/** The verdicts stage with its Docker engine killed (SIGKILL, not paused) and started again mid-run. */
describe("verdicts through a Docker engine restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "sca-dockerd-"));
  const engine = new PrivateDockerd(dir);
  const image = process.env.SCA_SANDBOX_IMAGE;
  beforeAll(async () => {
    if (!image) throw new Error("SCA_SANDBOX_IMAGE is not set: run through test/infra/with-infra.sh (start-docker.sh builds the image)");
    await engine.start();
    await engine.loadImage(image);
  }, 300_000);
  afterAll(async () => {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("holds the responses while the engine is gone and judges every one once it is back", async () => {
    const transport = EmbeddedTransport.open(join(dir, "log"), { fsync: false });
    await transport.admin().createTopics([
      { name: "responses", partitions: 2 },
      { name: "verdicts", partitions: 2 },
      { name: "responses.dlq", partitions: 1 },
    ]);
    const registry = new Registry();
    const codec = new JsonCodec();
    const stage = await createStage(
      { DOCKER_HOST: engine.host, SCA_SANDBOX_BACKEND: "docker", SCA_SANDBOX_IMAGE: image, SCA_SANDBOX_CONCURRENCY: "2", SCA_SANDBOX_TIMEOUT: "5" },
      { registry },
    );
    const runner = new StageRunner({ transport, codec, stage, registry, log: pino({ level: "silent" }), probeBackoff: { baseMs: 200, maxMs: 1_000 } });
    const up = () => metricValue(registry, "sca_dependency_up", { stage: "verdicts", dependency: "sandbox" });
    try {
      await runner.start();
      const p = await transport.producer();
      await p.send(
        Array.from({ length: N }, (_, i) => response(i)).map((r) => ({ topic: "responses", key: r.instruction_id, value: codec.encode("responses", r) })),
      );
      await p.close();
      await until(
        async () => (await metricValue(registry, "sca_records_out_total", { stage: "verdicts", topic: "verdicts" })) >= 5,
        "the first verdicts",
        120_000,
      );

      engine.kill();
      await until(async () => (await up()) === 0, "the stage to see the engine down", 60_000);
      await new Promise((r) => setTimeout(r, 10_000));
      expect(runner.outages.map((o) => o.dependency)).toEqual(["sandbox"]);
      expect(await metricValue(registry, "sca_records_failed_total")).toBe(0);

      await engine.start();
      const out = await drain(transport, "verdicts", { min: N, timeoutMs: 180_000 });
      const verdicts = out.map((r) => JSON.parse(r.value.toString()) as Verdict);
      expect(new Set(verdicts.map((v) => v.response_id)).size).toBe(N);
      expect(verdicts).toHaveLength(N);
      expect(verdicts.every((v) => v.status === "pass")).toBe(true);
      expect(await up()).toBe(1);
      expect(await metricValue(registry, "sca_records_failed_total")).toBe(0);
      expect(await metricValue(registry, "sca_dependency_outage_seconds_total", { stage: "verdicts", dependency: "sandbox" })).toBeGreaterThan(10);
    } finally {
      await runner.close();
      await stage.close();
      await transport.close();
    }
  }, 600_000);
});
