import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { Verdict } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { defaultBenchmarksDir, problemTexts } from "../../services/decontam/benchmarks.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { createStage } from "../../services/stages/selector/stage.ts";
import { tempDir } from "../seeds/helpers.ts";
import { verdict } from "./fixtures.ts";

const silent = pino({ level: "silent" });

function first(file: string): Record<string, unknown> {
  return JSON.parse(
    gunzipSync(readFileSync(join(defaultBenchmarksDir({}), file)))
      .toString("utf8")
      .split("\n")[0],
  ) as Record<string, unknown>;
}

const withResponse = (v: Verdict, response: string): Verdict => ({ ...v, response: { ...v.response, response } });

describe("selected pairs against the shipped benchmarks (no SCA_BENCHMARKS_DIR)", () => {
  it("drops a pair copying an MBPP text or solution, a GSM8K question or a DS-1000 prompt; keeps a clean one", async () => {
    const dir = tempDir("selector-decontam");
    const t = EmbeddedTransport.open(join(dir, "log"), { fsync: false });
    await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: 1 })));
    const stage = await createStage(
      { SCA_SELECTION_POLICY: "pass-first" },
      { transport: t, codec: new JsonCodec(), log: silent, registry: new Registry(), storeDir: join(dir, "stores") },
    );
    await stage.partitions!.assigned([0]);
    let offset = 0n;
    const mbpp = first("mbpp.jsonl.gz");
    const gsm8k = first("gsm8k-test.jsonl.gz");
    const ds1000 = first("ds1000.jsonl.gz");
    const [dsProblem] = problemTexts(String(ds1000.prompt));
    const cases: Record<string, Verdict> = {
      mbpp_text: verdict("mbpp_text", 0, 1, "pass", { instruction: `Please solve this: ${String(mbpp.text).toUpperCase()}` }),
      mbpp_code: withResponse(verdict("mbpp_code", 0, 1, "pass"), `Here it is:\n\`\`\`python\n${String(mbpp.code).replace(/\n/g, "\n\n")}\n\`\`\``),
      gsm8k: verdict("gsm8k", 0, 1, "pass", { instruction: `Write a program for: ${String(gsm8k.question)}` }),
      ds1000: verdict("ds1000", 0, 1, "pass", { instruction: dsProblem }),
      clean: verdict("clean", 0, 1, "pass", { instruction: "Write a function that counts the distinct words of a sentence." }),
    };
    const selected: string[] = [];
    for (const [name, v] of Object.entries(cases)) {
      const out = await stage.process(v, { log: silent, attempt: 1, signal: new AbortController().signal, partition: 0, offset: offset++ });
      if (out.some((e) => e.topic === "selected")) selected.push(name);
    }
    expect(selected).toEqual(["clean"]);
    await stage.close?.();
    await t.close();
  });
});
