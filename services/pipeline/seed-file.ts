import { Seed } from "../../schemas/records.ts";
import { describeZodError } from "../shared/zod-error.ts";
import { readJsonLines } from "../shared/json-lines.ts";

/** Seeds from a JSON-lines file (one Seed record per line, as `sca ingest --out` writes them), validated. */
export async function* readSeedFile(path: string): AsyncGenerator<Seed> {
  for await (const { json, where } of readJsonLines(path)) {
    const r = Seed.safeParse(json);
    if (!r.success) throw new Error(`${where}: not a seed record: ${describeZodError(r.error, json)}`);
    yield r.data;
  }
}
