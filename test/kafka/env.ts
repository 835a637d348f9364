import { pino } from "pino";
import { parseBrokers } from "../../services/runtime/kafka/config.ts";

/**
 * The real infrastructure the Kafka tests talk to, from the environment test/infra/with-infra.sh
 * sets up. Missing variables fail the test loudly: these tests never skip.
 */
export function kafkaBrokers(): string[] {
  const v = process.env.KAFKA_BROKERS;
  if (!v) throw new Error("KAFKA_BROKERS is not set: run the tests through `npm test` (test/infra/with-infra.sh starts the broker)");
  return parseBrokers(v);
}

export function schemaRegistryUrl(): string {
  const v = process.env.SCHEMA_REGISTRY_URL;
  if (!v) throw new Error("SCHEMA_REGISTRY_URL is not set: run the tests through `npm test` (test/infra/with-infra.sh starts the registry)");
  return v;
}

export function kafkaCtl(): string {
  const v = process.env.SCA_KAFKA_CTL;
  if (!v) throw new Error("SCA_KAFKA_CTL is not set: run the tests through `npm test` (start-kafka.sh provides the broker control script)");
  return v;
}

/** kafkajs complains loudly (at error) while a broker is down on purpose; tests keep only fatal lines. */
export const quietLog = pino({ level: process.env.SCA_TEST_LOG_LEVEL ?? "fatal" }, pino.destination(2));
