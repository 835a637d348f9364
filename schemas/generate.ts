// Writes schemas/json/<topic>.schema.json from the zod schemas. A test fails when they drift.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { allJsonSchemas } from "./json-schema.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "json");
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(allJsonSchemas())) {
  writeFileSync(join(dir, `${name}.schema.json`), JSON.stringify(schema, null, 2) + "\n");
}
console.log(`wrote ${dir}`);
