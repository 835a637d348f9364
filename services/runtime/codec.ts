import type { z } from "zod";
import { schemaFor } from "../../schemas/topics.ts";
import { describeZodError } from "../shared/zod-error.ts";
import type { Dependency } from "./dependency.ts";

/** Why bytes could not become a record: the DLQ reason. */
export class CodecError extends Error {
  constructor(
    readonly kind: "undecodable" | "schema_invalid",
    message: string,
  ) {
    super(message);
    this.name = "CodecError";
  }
}

/**
 * Encodes records for a topic and decodes them back; both directions validate against the topic's
 * schema. A codec with nothing to wait for answers synchronously, sparing the runner's per-record
 * hot path two promise round trips; failures are thrown (or rejected) as CodecError either way.
 */
export interface Codec {
  encode(topic: string, value: unknown): Buffer | Promise<Buffer>;
  decode(topic: string, bytes: Buffer): unknown;
  /** A codec that calls out (a schema registry) names it, so its outages are told from bad records. */
  readonly dependencies?: Dependency[];
}

export type SchemaLookup = (topic: string) => z.ZodType;

export function validate(schema: z.ZodType, topic: string, value: unknown): unknown {
  const r = schema.safeParse(value);
  if (!r.success) throw new CodecError("schema_invalid", `record for topic "${topic}" is invalid: ${describeZodError(r.error, value)}`);
  return r.data;
}

/** Plain JSON with schema validation: the embedded transport's codec (no registry on one machine). */
export class JsonCodec implements Codec {
  constructor(private readonly schemas: SchemaLookup = schemaFor) {}

  encode(topic: string, value: unknown): Buffer {
    return Buffer.from(JSON.stringify(validate(this.schemas(topic), topic, value)));
  }

  decode(topic: string, bytes: Buffer): unknown {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString("utf8"));
    } catch (e) {
      throw new CodecError(
        "undecodable",
        `bytes on topic "${topic}" are not JSON: ${(e as Error).message}; first bytes: ${JSON.stringify(bytes.subarray(0, 40).toString("latin1"))}`,
      );
    }
    return validate(this.schemas(topic), topic, parsed);
  }
}
