import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExportDir } from "../../services/stages/sink/export-dir.ts";
import { materialize } from "../../services/stages/sink/materialize.ts";
import { statsFrom } from "../../services/stages/sink/stats.ts";
import { runPython } from "./python.ts";
import { sample } from "./rows.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sca-export-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const jsonlIds = () =>
  readFileSync(join(dir, "train.jsonl"), "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l).response_id as string);

const LOAD = `
import json, sys, glob
import pyarrow.parquet as pq
from datasets import load_dataset
d = sys.argv[1]
hf = load_dataset(d, split="train")
js = load_dataset("json", data_files=d + "/train.jsonl", split="train")
shards = [pq.read_table(f).num_rows for f in sorted(glob.glob(d + "/data/*.parquet"))]
print(json.dumps({"hf": hf.num_rows, "hf_columns": hf.column_names, "concepts": hf[0]["concepts"] if hf.num_rows else None,
  "jsonl": js.num_rows, "shards": shards, "ids": sorted(hf["response_id"])}))
`;

const EMPTY_LOAD = `
import json, sys
import datasets, pyarrow.parquet as pq
d = sys.argv[1]
ds = datasets.Dataset(pq.read_table(d + "/train.parquet"))
try:
    datasets.load_dataset(d, split="train")
    err = ""
except ValueError as e:
    err = str(e)
print(json.dumps({"rows": ds.num_rows, "columns": ds.column_names, "load_dataset": err}))
`;

describe("export directory", () => {
  it("an export without rows still has train.jsonl, train.parquet and the card", () => {
    const ex = ExportDir.open(dir);
    ex.writeCard({ config: {}, generatedAt: new Date() });
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(["README.md", "train.jsonl", "train.parquet"]));
    expect(readFileSync(join(dir, "train.jsonl"), "utf8")).toBe("");
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("**Only 0 rows.**");
  });

  it("an empty export's card counts the seeds the run took, says why there is no pass rate, and loads the way it says", () => {
    const ex = ExportDir.open(dir);
    ex.writeCard({ config: {}, generatedAt: new Date(), stats: statsFrom([], { seeds: 2, concepts: 2, instructions: 2, "instructions.dlq": 2 }) });
    const card = readFileSync(join(dir, "README.md"), "utf8");
    expect(card).toContain("**0 rows** from 0 of the 2 seed functions the run took");
    expect(card).toMatch(/## Pass rates\n\nNo sample was judged in the sandbox, so there is no pass rate/);
    expect(card).toContain('datasets.Dataset(pyarrow.parquet.read_table("train.parquet"))');
    const got = runPython(EMPTY_LOAD, dir) as { rows: number; columns: string[]; load_dataset: string };
    expect(got.rows).toBe(0);
    expect(got.columns).toEqual(expect.arrayContaining(["instruction_id", "instruction", "response", "tests", "seed_id", "concepts", "model"]));
    // What the card warns about: if `datasets` ever loads empty splits, the card's note should go.
    expect(got.load_dataset).toContain("corresponds to no data");
  });

  it("appends increments as new shards, never rewriting rows, and HF datasets loads it", () => {
    let ex = ExportDir.open(dir);
    expect(ex.sync(materialize(ex.rows.slice(), [sample("a"), sample("b")]))).toEqual({ appended: 2, rewritten: false });
    const firstShard = readFileSync(join(dir, "data", "train-00000.parquet"));
    ex = ExportDir.open(dir); // a restart: the directory is the memory
    expect(ex.sync(materialize(ex.rows.slice(), [sample("b"), sample("c")]))).toEqual({ appended: 1, rewritten: false });
    expect(ex.sync(materialize(ex.rows.slice(), [sample("c")]))).toEqual({ appended: 0, rewritten: false });
    expect(readFileSync(join(dir, "data", "train-00000.parquet")).equals(firstShard)).toBe(true);
    expect(readdirSync(join(dir, "data")).sort()).toEqual(["train-00000.parquet", "train-00001.parquet"]);
    ex.writeCard({ config: { limit: 3 }, generatedAt: new Date(), stats: statsFrom([], { seeds: 3, dataset: 3 }) });

    const got = runPython(LOAD, dir) as { hf: number; hf_columns: string[]; concepts: string[]; jsonl: number; shards: number[]; ids: string[] };
    expect(got.hf).toBe(3);
    expect(got.jsonl).toBe(3);
    expect(got.shards).toEqual([2, 1]);
    expect(got.concepts).toEqual(["recursion"]);
    expect(got.hf_columns).toEqual(
      expect.arrayContaining([
        "instruction_id",
        "instruction",
        "response",
        "tests",
        "seed_id",
        "seed",
        "concepts",
        "category",
        "difficulty",
        "model",
        "prompt_hash",
        "created_at",
      ]),
    );
    expect(got.ids).toEqual([sample("a"), sample("b"), sample("c")].map((s) => s.response_id).sort());
  });

  it("a retraction rewrites the files without the row", () => {
    const ex = ExportDir.open(dir);
    ex.sync(materialize([], [sample("a"), sample("b")]));
    expect(ex.sync(materialize(ex.rows.slice(), [sample("a", 0, { retracted: true })])).rewritten).toBe(true);
    ex.writeCard({ config: {}, generatedAt: new Date() });
    expect(jsonlIds()).toEqual([sample("b").response_id]);
    const got = runPython(LOAD, dir) as { hf: number; shards: number[] };
    expect(got.hf).toBe(1);
    expect(got.shards).toEqual([1]);
  });

  it("cuts a torn last line and gives rows no shard covers their shard", () => {
    const ex = ExportDir.open(dir);
    ex.sync(materialize([], [sample("a")]));
    // What a SIGKILL between the jsonl append and the shard write leaves behind, plus a torn line.
    const line = readFileSync(join(dir, "train.jsonl"), "utf8")
      .replace(sample("a").id, sample("b").id)
      .replace(/"instruction_id":"[0-9a-f]+"/, `"instruction_id":"${sample("b").instruction_id}"`);
    rmSync(join(dir, "train.parquet"));
    appendFileSync(join(dir, "train.jsonl"), line + '{"id":"torn');
    const again = ExportDir.open(dir);
    expect(again.rows).toHaveLength(2);
    again.writeCard({ config: {}, generatedAt: new Date() });
    const got = runPython(LOAD, dir) as { hf: number; shards: number[] };
    expect(got.shards).toEqual([1, 1]);
    expect(got.hf).toBe(2);
  });
});
