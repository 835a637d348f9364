// `npm run bench -- <area> [...]`: runs test/bench/<area>.ts (every area when none is given) and writes
// bench-results/<area>.json and .md. Each area module exports `run(args): Promise<{ table: string; data: unknown }>`.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const areas = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "main.ts")
  .map((f) => f.slice(0, -3));
const [wanted, ...args] = process.argv.slice(2);
const chosen = wanted ? [wanted] : areas;
for (const a of chosen) if (!areas.includes(a)) throw new Error(`unknown bench "${a}"; have: ${areas.join(", ")}`);
const outDir = join(here, "..", "..", "bench-results");
mkdirSync(outDir, { recursive: true });
for (const area of chosen) {
  const mod = (await import(pathToFileURL(join(here, `${area}.ts`)).href)) as { run(args: string[]): Promise<{ table: string; data: unknown }> };
  console.error(`== bench ${area}`);
  const { table, data } = await mod.run(args);
  const stamp = new Date().toISOString();
  writeFileSync(join(outDir, `${area}.json`), JSON.stringify({ area, at: stamp, data }, null, 2) + "\n");
  writeFileSync(join(outDir, `${area}.md`), `# bench ${area} (${stamp})\n\n${table}\n`);
  console.log(table);
}
