import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import type { Transport } from "../../services/runtime/transport.ts";
import { quietLog } from "../kafka/env.ts";
import { type PrivateBroker, startPrivateBroker } from "../kafka/private-broker.ts";
import { ServicePipeline, expectExactlyOnce } from "./support/service-pipeline.ts";

const N = 3_000;
let broker: PrivateBroker;
let transport: Transport;
let pipeline: ServicePipeline | undefined;

// A broker of its own: restarting the shared one would break the test files running in parallel.
beforeAll(async () => {
  broker = await startPrivateBroker();
  transport = new KafkaTransport({ brokers: broker.brokers, clientId: "restart-test" }, quietLog);
});
afterAll(async () => {
  pipeline?.killAllNow();
  await transport?.close();
  await broker?.stop();
});

describe("broker restart on Kafka", () => {
  it("the three services ride out a broker restart in the middle of a run and finish: nothing lost, nothing twice", async () => {
    const ctl = broker.ctl;
    pipeline = new ServicePipeline(broker.brokers.join(","), `rst-${randomBytes(3).toString("hex")}`);
    await pipeline.provision(transport, N);
    pipeline.startAll();
    let progress = 0;
    const deadline = Date.now() + 120_000;
    while ((progress = await pipeline.progress(transport)) < 0.3 * 3 * N) {
      pipeline.assertAlive();
      if (Date.now() > deadline) throw new Error(`no progress past ${progress} before the restart`);
      await sleep(50);
    }
    execFileSync("bash", [ctl, "stop"], { stdio: ["ignore", "ignore", "inherit"] });
    await sleep(2_000);
    pipeline.assertAlive();
    execFileSync("bash", [ctl, "start"], { stdio: ["ignore", "ignore", "inherit"] });
    await expectExactlyOnce(transport, pipeline, N);
    pipeline.assertAlive();
    await pipeline.stopAll();
    expect(progress).toBeLessThan(3 * N);
  }, 600_000);
});
