import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { readDlq } from "../../services/pipeline/dlq-inspect.ts";
import { REDRIVEN_FROM, redrive } from "../../services/pipeline/dlq-redrive.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { quietLog } from "../kafka/env.ts";
import { type PrivateBroker, startPrivateBroker } from "../kafka/private-broker.ts";
import { ACCEPTANCE, runLlmOutage } from "./llm-outage-scenario.ts";

/** A private broker: the stages' topic names are fixed, and the shared broker serves other test files meanwhile. */
describe("an LLM server outage on Kafka", () => {
  let broker: PrivateBroker;
  let transport: KafkaTransport;
  beforeAll(async () => {
    broker = await startPrivateBroker();
    transport = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    await transport.admin().createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: Math.min(t.partitions, 3) })));
  });
  afterAll(async () => {
    await transport?.close();
    await broker?.stop();
  });

  it("holds the records through 90 s refused + 60 s of 503 and loses none to the DLQ", async () => {
    await runLlmOutage(transport, ACCEPTANCE);
  }, 600_000);

  // The outage left its record-level DLQ entries (3 refused prompts, 2 unparsable completions) in seeds.dlq.
  it("redrives a DLQ reason exactly once in a transaction with the DLQ offsets", async () => {
    const codec = new JsonCodec();
    const poison = (await readDlq(transport, codec, "concepts")).filter((e) => e.envelope.reason === "poison");
    expect(poison).toHaveLength(3);
    const redriven = async () => {
      const seen: string[] = [];
      await readTopic(transport, "seeds", (r) => r.headers[REDRIVEN_FROM] && seen.push(r.key ?? ""));
      return seen.sort();
    };
    expect(await redriven()).toEqual([]);
    expect((await redrive(transport, codec, "concepts", "poison")).redriven).toBe(3);
    expect(await redriven()).toEqual(poison.map((e) => e.envelope.key).sort());
    expect((await redrive(transport, codec, "concepts", "poison")).redriven).toBe(0);
    // The other reason has its own group: its entries are still there to redrive.
    expect((await redrive(transport, codec, "concepts", "unparsable_output")).redriven).toBe(2);
    expect(await redriven()).toHaveLength(5);
  }, 120_000);
});
