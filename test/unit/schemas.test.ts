import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentId, stableJson } from "../../schemas/common.ts";
import { allJsonSchemas } from "../../schemas/json-schema.ts";
import { allTopicSpecs, schemaFor } from "../../schemas/topics.ts";

describe("schemas", () => {
  it("checked-in JSON Schemas match the zod schemas (run `npm run schemas:gen` after a change)", () => {
    for (const [name, schema] of Object.entries(allJsonSchemas())) {
      const onDisk = JSON.parse(readFileSync(join("schemas/json", `${name}.schema.json`), "utf8"));
      expect(onDisk, `schemas/json/${name}.schema.json is stale`).toEqual(schema);
    }
  });

  it("content ids depend on parent, stage, params and sample index, not on key order", () => {
    const a = contentId({ parent: "p", stage: "s", params: { t: 0.7, m: 1 }, sample: 1 });
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(contentId({ parent: "p", stage: "s", params: { m: 1, t: 0.7 }, sample: 1 })).toBe(a);
    expect(contentId({ parent: "p", stage: "s", params: { m: 1, t: 0.7 }, sample: 2 })).not.toBe(a);
    expect(contentId({ parent: "q", stage: "s", params: { m: 1, t: 0.7 }, sample: 1 })).not.toBe(a);
    expect(contentId({ parent: "p", stage: "x", params: { m: 1, t: 0.7 }, sample: 1 })).not.toBe(a);
    expect(stableJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it("every catalogue topic resolves to a schema, DLQs included", () => {
    const names = allTopicSpecs().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["seeds", "concepts", "instructions", "responses", "verdicts", "dataset", "verdicts.dlq"]));
    for (const n of names) expect(schemaFor(n)).toBeDefined();
    expect(() => schemaFor("nope")).toThrow(/unknown topic "nope"/);
  });
});
