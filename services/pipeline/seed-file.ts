import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Seed } from "../../schemas/records.ts";
import { describeZodError } from "../runtime/codec.ts";

/** Seeds from a JSON-lines file (one Seed record per line, as `sca ingest --out` writes them), validated. */
export async function* readSeedFile(path: string): AsyncGenerator<Seed> {
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${n}: not JSON (${(e as Error).message})`);
    }
    const r = Seed.safeParse(json);
    if (!r.success) throw new Error(`${path}:${n}: not a seed record: ${describeZodError(r.error, json)}`);
    yield r.data;
  }
}
