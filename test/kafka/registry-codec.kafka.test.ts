import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { contentId, SCHEMA_VERSION } from "../../schemas/common.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { CodecError } from "../../services/runtime/codec.ts";
import { RegistryCodec, SchemaIncompatibleError, subjectFor } from "../../services/runtime/registry-codec.ts";
import { schemaRegistryUrl } from "./env.ts";

const seed = {
  id: contentId({ parent: "corpus", stage: "seed", params: { path: "a.py" } }),
  code: 'def add(a, b):\n    """Add."""\n    return a + b\n',
  standalone: 'def add(a, b):\n    """Add."""\n    return a + b\n',
  name: "add",
  path: "a.py",
  start_line: 1,
  end_line: 3,
  repo: "example/repo",
  license: "mit",
  lineage: { run_id: "test", schema_version: SCHEMA_VERSION, created_at: new Date(0).toISOString() },
};

async function subjectConfig(subject: string): Promise<unknown> {
  const res = await fetch(`${schemaRegistryUrl()}/config/${subject}`);
  return res.json();
}

describe("RegistryCodec against a real schema registry", () => {
  it("round-trips a record in the Confluent wire format under a BACKWARD subject", async () => {
    const codec = new RegistryCodec({ url: schemaRegistryUrl() });
    const bytes = await codec.encode("seeds", seed);
    expect(bytes[0]).toBe(0);
    const id = await codec.schemaId("seeds");
    expect(bytes.readUInt32BE(1)).toBe(id);
    expect(JSON.parse(bytes.subarray(5).toString("utf8"))).toEqual(seed);
    // a second client (another service) finds the same schema id and decodes
    const other = new RegistryCodec({ url: schemaRegistryUrl() });
    expect(await other.decode("seeds", bytes)).toEqual(seed);
    expect(await other.schemaId("seeds")).toBe(id);
    expect(await subjectConfig(subjectFor("seeds"))).toMatchObject({ compatibilityLevel: "BACKWARD" });
  });

  it("registers the generated JSON Schema of every catalogue topic", async () => {
    const codec = new RegistryCodec({ url: schemaRegistryUrl() });
    for (const spec of allTopicSpecs()) expect(await codec.schemaId(spec.name), spec.name).toBeGreaterThan(0);
  });

  it("refuses to encode an invalid record, naming the field and the value", async () => {
    const codec = new RegistryCodec({ url: schemaRegistryUrl() });
    const err = await codec.encode("seeds", { ...seed, start_line: -3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).kind).toBe("schema_invalid");
    expect((err as Error).message).toMatch(/start_line.*-3/);
  });

  it("rejects bytes without the magic byte, with an unknown schema id, or with a record that fails the schema", async () => {
    const codec = new RegistryCodec({ url: schemaRegistryUrl() });
    const raw = await codec.decode("seeds", Buffer.from('{"id":"not wire format"}')).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(CodecError);
    expect((raw as CodecError).kind).toBe("undecodable");
    expect((raw as Error).message).toMatch(/magic byte/);

    const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0x01]), Buffer.from(JSON.stringify(seed))]);
    const unknown = await codec.decode("seeds", unknownId).catch((e: unknown) => e);
    expect((unknown as CodecError).kind).toBe("undecodable");
    expect((unknown as Error).message).toMatch(/schema id 2147483393/);

    const good = await codec.encode("seeds", seed);
    const tampered = Buffer.concat([good.subarray(0, 5), Buffer.from(JSON.stringify({ ...seed, name: 42 }))]);
    const invalid = await codec.decode("seeds", tampered).catch((e: unknown) => e);
    expect((invalid as CodecError).kind).toBe("schema_invalid");
    expect((invalid as Error).message).toMatch(/name/);

    const notJson = Buffer.concat([good.subarray(0, 5), Buffer.from("{oops")]);
    expect(((await codec.decode("seeds", notJson).catch((e: unknown) => e)) as CodecError).kind).toBe("undecodable");
  });

  describe("schema evolution (BACKWARD)", () => {
    const V1 = z.object({ id: z.string(), n: z.number() });
    const codecWith = (topic: string, schema: z.ZodType) => new RegistryCodec({ url: schemaRegistryUrl(), schemas: (t) => (t === topic ? schema : V1) });

    it("accepts an added optional field; old records still decode with the new schema", async () => {
      const topic = `evo-add-${randomBytes(4).toString("hex")}`;
      const v1 = codecWith(topic, V1);
      const old = await v1.encode(topic, { id: "a", n: 1 });
      const v2 = codecWith(topic, V1.extend({ note: z.string().optional() }));
      const fresh = await v2.encode(topic, { id: "b", n: 2, note: "hi" });
      expect(fresh.readUInt32BE(1)).not.toBe(old.readUInt32BE(1));
      expect(await v2.decode(topic, old)).toEqual({ id: "a", n: 1 });
      // and a not-yet-upgraded consumer reads the new record, dropping the field it does not know
      expect(await v1.decode(topic, fresh)).toEqual({ id: "b", n: 2 });
    });

    it.each([
      ["a new required field", V1.extend({ must: z.string() })],
      ["a retyped field", z.object({ id: z.string(), n: z.string() })],
      ["a removed field", z.object({ id: z.string() })],
    ])("refuses %s with a clear error", async (_what, next) => {
      const topic = `evo-break-${randomBytes(4).toString("hex")}`;
      await codecWith(topic, V1).encode(topic, { id: "a", n: 1 });
      const err = await codecWith(topic, next)
        .schemaId(topic)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaIncompatibleError);
      expect((err as Error).message).toContain(`subject "${topic}-value"`);
      expect((err as Error).message).toMatch(/BACKWARD/);
    });
  });
});
