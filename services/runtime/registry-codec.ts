import { COMPATIBILITY, SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import type { z } from "zod";
import { jsonSchemaFor } from "../../schemas/json-schema.ts";
import { schemaFor } from "../../schemas/topics.ts";
import { type Codec, CodecError, type SchemaLookup, validate } from "./codec.ts";
import { type Dependency, DependencyUnavailableError } from "./dependency.ts";

/** The registry refused a schema change: it would break readers of the records already on the topic. */
export class SchemaIncompatibleError extends Error {
  constructor(
    readonly subject: string,
    detail: string,
  ) {
    super(
      `schema change for subject "${subject}" refused by the schema registry: not ${COMPATIBILITY.BACKWARD}-compatible with the registered versions ` +
        `(new fields must be optional; fields must not be removed, renamed, retyped or made required): ${detail}`,
    );
    this.name = "SchemaIncompatibleError";
  }
}

export interface RegistryCodecOptions {
  /** Base URL of a Confluent-compatible schema registry API (SCHEMA_REGISTRY_URL). */
  url: string;
  schemas?: SchemaLookup;
  /** The JSON Schema registered for a topic; by default generated from its zod schema. */
  jsonSchema?: (topic: string) => Record<string, unknown>;
}

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

/**
 * The JSON Schema registered for a zod schema: draft-07, input shape (fields with defaults are
 * optional), and closed objects (additionalProperties: false unless the zod object has a catchall).
 * Closed, because under BACKWARD a registry may only accept a new version that accepts all data
 * the old one did: with open objects an old version allows any value under any new name, so even
 * adding an optional field counts as narrowing and is refused.
 */
export function registeredJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return jsonSchemaFor(schema);
}

/**
 * Confluent wire format (magic byte 0, 4-byte schema id, JSON body) with JSON Schema in a schema
 * registry, subject `<topic>-value`, BACKWARD compatibility.
 *
 * Evolution policy: the zod schema is the source of truth; registeredJsonSchema() of it is what
 * gets registered, with closed objects. Allowed change: add an optional field (or one with a
 * default). Refused by the registry (SchemaIncompatibleError, raised the first time a producer of
 * the new code encodes): removing, renaming or retyping a field, making an optional field required,
 * adding a required one. Such a change needs a new topic and a SCHEMA_VERSION bump
 * (schemas/common.ts). Readers on the old code still read new records: the bytes are checked
 * against the writer's schema (by id), and zod drops the fields it does not know.
 *
 * Records are validated twice on each side: by zod (the error names the field and the value) and by
 * the registered JSON Schema (the library's Ajv check), so what is on the wire always matches the
 * schema id it carries.
 */
export class RegistryCodec implements Codec {
  readonly dependencies: Dependency[];
  private readonly registry: SchemaRegistry;
  private readonly ids = new Map<string, Promise<number>>();
  private readonly schemas: SchemaLookup;
  private readonly jsonSchema: (topic: string) => Record<string, unknown>;

  constructor(private readonly opts: RegistryCodecOptions) {
    this.registry = new SchemaRegistry({ host: opts.url.replace(/\/+$/, ""), clientId: "sca" });
    this.schemas = opts.schemas ?? schemaFor;
    this.jsonSchema = opts.jsonSchema ?? ((topic) => registeredJsonSchema(this.schemas(topic)));
    const base = opts.url.replace(/\/+$/, "");
    this.dependencies = [
      {
        name: "registry",
        target: `the schema registry at ${base}`,
        probe: async (signal) => {
          const res = await fetch(`${base}/subjects`, { signal });
          if (!res.ok) throw new Error(`GET ${base}/subjects answered ${res.status}`);
        },
      },
    ];
  }

  /** The registry is unreachable or failing (not: it refused this record or schema): an outage. */
  private unavailable(e: unknown, what: string): DependencyUnavailableError {
    return new DependencyUnavailableError(this.dependencies[0], `schema registry unavailable while ${what}: ${(e as Error).message}`, { cause: e });
  }

  async encode(topic: string, value: unknown): Promise<Buffer> {
    const valid = validate(this.schemas(topic), topic, value);
    let id: number;
    try {
      id = await this.schemaId(topic);
    } catch (e) {
      if (e instanceof SchemaIncompatibleError || !isOutage(e)) throw e;
      throw this.unavailable(e, `registering the schema of "${topic}"`);
    }
    try {
      return await this.registry.encode(id, valid);
    } catch (e) {
      throw new CodecError("schema_invalid", `record for topic "${topic}" does not match registered schema ${id}: ${describeLibraryError(e)}`);
    }
  }

  async decode(topic: string, bytes: Buffer): Promise<unknown> {
    if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_BYTE) {
      throw new CodecError(
        "undecodable",
        `bytes on topic "${topic}" are not in the Confluent wire format (magic byte 0 + 4-byte schema id); first bytes: ${JSON.stringify(bytes.subarray(0, 40).toString("latin1"))}`,
      );
    }
    let raw: unknown;
    try {
      raw = await this.registry.decode(bytes);
    } catch (e) {
      const status = (e as { status?: number }).status;
      const id = bytes.readUInt32BE(1);
      if (status === 404) throw new CodecError("undecodable", `bytes on topic "${topic}" name schema id ${id}, which the registry does not know`);
      if (e instanceof SyntaxError) throw new CodecError("undecodable", `bytes on topic "${topic}" (schema id ${id}) are not JSON: ${e.message}`);
      if ((e as Error).name === "ConfluentSchemaRegistryValidationError") {
        throw new CodecError("schema_invalid", `record on topic "${topic}" does not match its schema ${id}: ${describeLibraryError(e)}`);
      }
      if (isOutage(e)) throw this.unavailable(e, `fetching schema ${id} for "${topic}"`);
      throw e;
    }
    return validate(this.schemas(topic), topic, raw);
  }

  /** The topic's schema id, registering the schema (idempotent: an unchanged schema keeps its id) on first use. */
  schemaId(topic: string): Promise<number> {
    let id = this.ids.get(topic);
    if (!id) {
      id = this.register(topic);
      this.ids.set(topic, id);
      // a failed registration (registry down, incompatible) is retried on the next record
      id.catch(() => this.ids.delete(topic));
    }
    return id;
  }

  private async register(topic: string): Promise<number> {
    const subject = subjectFor(topic);
    // set before the first version, so even that one is checked against what comes later
    await this.setCompatibility(subject);
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.JSON, schema: JSON.stringify(this.jsonSchema(topic)) },
        { subject, compatibility: COMPATIBILITY.BACKWARD, updateConfig: false },
      );
      return id;
    } catch (e) {
      if ((e as { status?: number }).status === 409) throw new SchemaIncompatibleError(subject, (e as Error).message);
      throw e;
    }
  }

  private async setCompatibility(subject: string): Promise<void> {
    const url = `${this.opts.url.replace(/\/+$/, "")}/config/${encodeURIComponent(subject)}`;
    const res = await fetch(url, {
      method: "PUT",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      body: JSON.stringify({ compatibility: COMPATIBILITY.BACKWARD }),
    });
    if (!res.ok)
      throw Object.assign(
        new Error(`schema registry: setting ${COMPATIBILITY.BACKWARD} compatibility on "${subject}" failed: HTTP ${res.status} ${await res.text()}`),
        { status: res.status },
      );
  }
}

/** Refused, reset, unresolvable, timed out, or a 5xx/429: the registry's trouble, not the record's. */
function isOutage(e: unknown): boolean {
  // The library's HTTP client reports a failed connection as "status 400: connect ECONNREFUSED ...".
  if (/ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|EPIPE|socket hang up|timed? ?out/i.test((e as Error).message ?? "")) return true;
  const status = (e as { status?: number }).status;
  if (typeof status === "number") return status >= 500 || status === 429;
  return true;
}

function describeLibraryError(e: unknown): string {
  const paths = (e as { paths?: unknown }).paths;
  return `${(e as Error).message}${paths ? ` at ${JSON.stringify(paths)}` : ""}`;
}
