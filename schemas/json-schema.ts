import { z } from "zod";
import { allTopicSpecs } from "./topics.ts";

/**
 * JSON Schema (draft-07, what @kafkajs/confluent-schema-registry validates) for each topic's record,
 * generated from the zod schema: zod is the single source of truth.
 */
export function jsonSchemaFor(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: "draft-07", io: "input" }) as Record<string, unknown>;
}

export function allJsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const spec of allTopicSpecs()) {
    const file = spec.name.endsWith(".dlq") ? "dlq" : spec.name;
    out[file] = { title: file, ...jsonSchemaFor(spec.schema) };
  }
  return out;
}
