import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { createStage } from "../../services/stages/sink/stage.ts";
import { kafkaBrokers } from "../kafka/env.ts";

describe("sink as a Kafka service", () => {
  const dir = mkdtempSync(join(tmpdir(), "sca-sink-kafka-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the funnel for its card from the cluster (the shared broker, read-only)", async () => {
    const env = { SCA_TRANSPORT: "kafka", KAFKA_BROKERS: kafkaBrokers().join(","), SCA_OUT_DIR: join(dir, "out") };
    // As `sca service sink` hosts it: the host's transport and codec are where the funnel is read from.
    const log = pino({ level: "silent" });
    const transport = new KafkaTransport({ brokers: kafkaBrokers() }, log);
    try {
      const sink = await createStage(env, { log, transport, codec: new JsonCodec() });
      await sink.close();
    } finally {
      await transport.close();
    }
    const card = readFileSync(join(dir, "out", "README.md"), "utf8");
    expect(card).toContain("| stage | records | note |");
    expect(card).not.toContain("were not available");
  });
});
