import { existsSync, readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { Concepts, Instruction, Response, Seed, SelectorState } from "../../schemas/records.ts";
import { INGEST, LLM_STAGES, PIPELINE_STAGES, STAGES, type StageName } from "../../schemas/stages.ts";
import { TOPICS, type TopicName } from "../../schemas/topics.ts";
import { inputOf, outputOf } from "../../services/pipeline/replay.ts";
import type { PipelineStage, StageEmit } from "../../services/runtime/stage.ts";

/** Compiles only when every emit is one stage `S` may make: its outputs, each with its topic's record. */
const emitsOf = <S extends StageName>(_stage: S, emits: StageEmit<S>[]) => emits;

describe("the stage graph (schemas/stages.ts)", () => {
  it("types each stage's input and outputs from the topic catalogue, so a wrong output does not compile", () => {
    const concepts = {} as Concepts;
    const instruction = {} as Instruction;
    expect(emitsOf("concepts", [{ topic: "concepts", key: "k", value: concepts }])).toHaveLength(1);
    // @ts-expect-error: concepts does not write the instructions topic
    emitsOf("concepts", [{ topic: "instructions", key: "k", value: instruction }]);
    // @ts-expect-error: the concepts topic carries Concepts records, not selector state
    emitsOf("concepts", [{ topic: "concepts", key: "k", value: {} as SelectorState }]);
    // @ts-expect-error: a topic outside the catalogue
    emitsOf("selector", [{ topic: "selector.stat", key: "k", value: {} as SelectorState }]);
    expect(emitsOf("responses", [{ topic: "instructions.dlq", key: "k", value: {} as never }])).toHaveLength(1);
    expectTypeOf<Parameters<PipelineStage<"concepts">["process"]>[0]>().toEqualTypeOf<Seed>();
    expectTypeOf<Parameters<PipelineStage<"verdicts">["process"]>[0]>().toEqualTypeOf<Response>();
    expectTypeOf<StageEmit<"sink">>().toBeNever();
    expectTypeOf<PipelineStage<"selector">["input"]>().toEqualTypeOf<"verdicts">();
  });

  it("lists the stages in stream order: each reads what an earlier stage (or ingest) writes", () => {
    const written = new Set<string>(["seeds"]);
    for (const stage of PIPELINE_STAGES) {
      expect(written.has(inputOf(stage)), `${stage} reads ${inputOf(stage)} before anything writes it`).toBe(true);
      for (const t of STAGES[stage as StageName].outputs) written.add(t);
    }
    expect(LLM_STAGES).toEqual(["concepts", "instructions", "responses"]);
  });

  it("is where the topic catalogue's writers and readers come from", () => {
    for (const [name, spec] of Object.entries(TOPICS)) {
      const writers = PIPELINE_STAGES.filter((s) => (STAGES[s as StageName].outputs as readonly string[]).includes(name));
      expect(spec.producedBy).toBe(writers.join(",") || INGEST);
      expect(spec.consumedBy).toEqual(PIPELINE_STAGES.filter((s) => inputOf(s) === name));
    }
    for (const stage of PIPELINE_STAGES) {
      const spec = STAGES[stage as StageName];
      expect(spec.input in TOPICS, `${stage}'s input`).toBe(true);
      for (const t of spec.outputs) expect(t in TOPICS || (t.endsWith(".dlq") && t.slice(0, -4) in TOPICS), `${stage}'s output ${t}`).toBe(true);
    }
    expect(outputOf("responses")).toBe("responses");
    expect(outputOf("selector")).toBe("selected");
    expect(outputOf("sink")).toBeUndefined();
  });

  it("has a services/stages/<stage>/stage.ts per stage, and the README's architecture shows stages in its order", () => {
    for (const stage of PIPELINE_STAGES) expect(existsSync(`services/stages/${stage}/stage.ts`), stage).toBe(true);
    const diagram = readFileSync("README.md", "utf8").split("## Architecture")[1].split("```")[1];
    const arrows = diagram.split("\n").find((l) => l.includes("─ingest─▶"))!;
    const shown = arrows.split(/\s*─[a-z]*─?▶\s*/).filter((w) => PIPELINE_STAGES.includes(w));
    expect(shown.length).toBeGreaterThanOrEqual(7);
    expect(shown).toEqual(PIPELINE_STAGES.filter((s) => shown.includes(s)));
  });
});

// `TopicName` is what the table's inputs and outputs are checked against.
expectTypeOf<(typeof STAGES)["curation"]["input"]>().toExtend<TopicName>();
