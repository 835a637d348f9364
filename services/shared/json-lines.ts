import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

/**
 * The parsed JSON value of every non-blank line of a file (gunzipped when it ends in .gz), with
 * `where` = "path:line" for error messages. A line that is not JSON stops the read with an error
 * naming the file, the line and why.
 */
export async function* readJsonLines(path: string): AsyncGenerator<{ json: unknown; where: string }> {
  const raw = createReadStream(path);
  const lines = createInterface({ input: path.endsWith(".gz") ? raw.pipe(createGunzip()) : raw, crlfDelay: Infinity });
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
    yield { json, where: `${path}:${n}` };
  }
}
