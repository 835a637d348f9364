import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import type { Transport } from "../../services/runtime/transport.ts";
import { kafkaBrokers, quietLog, schemaRegistryUrl } from "../kafka/env.ts";
import { killPoints } from "./support/killer.ts";
import { ServicePipeline, expectExactlyOnce } from "./support/service-pipeline.ts";

const N = 10_000;
let transport: Transport;
let pipeline: ServicePipeline | undefined;

beforeAll(() => {
  transport = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "eos-test" }, quietLog);
});
afterAll(async () => {
  pipeline?.killAllNow();
  await transport.close();
});

describe("exactly-once on Kafka", () => {
  it(`3-stage pipeline over ${N} keyed records, each stage a service (registry wire format) SIGKILLed at random moments and restarted: every input exactly once`, async () => {
    // through the schema registry, as deployed: the Confluent wire format on every topic
    pipeline = new ServicePipeline(kafkaBrokers().join(","), `eosk-${randomBytes(3).toString("hex")}`, schemaRegistryUrl());
    await pipeline.provision(transport, N);
    pipeline.startAll();
    const total = 3 * N;
    const points = killPoints(6, 0.05 * total, 0.85 * total);
    const killedAt: number[] = [];
    for (const point of points) {
      const deadline = Date.now() + 180_000;
      let progress = 0;
      let candidates: string[] = [];
      while ((progress = await pipeline.progress(transport)) < point || (candidates = pipeline.upFor(3_000)).length === 0) {
        pipeline.assertAlive();
        if (Date.now() > deadline) throw new Error(`no progress past ${progress} of ${total} (waiting for ${point})`);
        await sleep(50 + Math.random() * 100);
      }
      const victim = candidates[Math.floor(Math.random() * candidates.length)];
      await pipeline.kill(victim);
      killedAt.push(progress);
      pipeline.start(victim);
    }
    expect(pipeline.kills.length).toBeGreaterThanOrEqual(5);
    await expectExactlyOnce(transport, pipeline, N);
    await pipeline.stopAll();
    console.log(`kafka exactly-once: killed ${pipeline.kills.join(", ")} at progress ${killedAt.join(", ")} of ${total}`);
  }, 600_000);
});
