import { z } from "zod";
import { allTopicSpecs } from "./topics.ts";

/**
 * JSON Schema (draft-07, what @kafkajs/confluent-schema-registry validates) for each topic's record,
 * generated from the zod schema: zod is the single source of truth. Objects are closed
 * (additionalProperties: false) as zod's are: this is what the registry holds, and why only optional
 * fields may be added under BACKWARD compatibility (see services/runtime/registry-codec.ts).
 */
export function jsonSchemaFor(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    target: "draft-07",
    io: "input",
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def as { type: string; catchall?: unknown };
      if (def.type === "object" && !def.catchall) jsonSchema.additionalProperties = false;
    },
  }) as Record<string, unknown>;
}

export function allJsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const spec of allTopicSpecs()) {
    const file = spec.name.endsWith(".dlq") ? "dlq" : spec.name;
    out[file] = { title: file, ...jsonSchemaFor(spec.schema) };
  }
  return out;
}
