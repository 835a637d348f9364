import { afterAll, beforeAll, describe, it } from "vitest";
import { allTopicSpecs } from "../../schemas/topics.ts";
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
});
