import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { PIPELINE_STAGES } from "../../schemas/stages.ts";

/**
 * The rooms of the code, lowest first: a module may import from its own layer and those below,
 * never from one above. A stage imports no other stage (only stages/ modules outside any stage).
 */
const LAYERS: string[][] = [
  ["schemas"],
  ["services/shared"],
  ["services/runtime", "services/minhash"],
  ["services/llm", "services/sandbox", "services/decontam"],
  ["services/seeds"],
  ["services/stages"],
  ["services/pipeline"],
  ["services/cli"],
];

const layerOf = (file: string) => LAYERS.findIndex((rooms) => rooms.some((room) => file.startsWith(`${room}/`)));
const stageOf = (file: string) => /^services\/stages\/([^/]+)\//.exec(file)?.[1];

describe("layering", () => {
  const files = execFileSync("git", ["ls-files", "schemas/*.ts", "services/*.ts"], { encoding: "utf8" }).split("\n").filter(Boolean);

  it("puts every module in a layer", () => {
    expect(files.filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it("has no module importing from a layer above its own, nor one stage from another", () => {
    const wrong: string[] = [];
    for (const file of files) {
      for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
        const target = normalize(join(dirname(file), spec));
        if (layerOf(target) > layerOf(file)) wrong.push(`${file} imports ${target}, a layer above`);
        const [from, to] = [stageOf(file), stageOf(target)];
        if (from && to && from !== to) wrong.push(`${file} imports ${target}, another stage`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("has a folder in services/stages for each stage of the graph, and nothing else there but shared stage modules", () => {
    const stageDirs = new Set(files.map(stageOf).filter((s): s is string => s !== undefined));
    expect([...stageDirs].sort()).toEqual([...PIPELINE_STAGES].sort());
  });
});
