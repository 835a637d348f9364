import type { DlqTopicName, TopicName } from "./topics.ts";

/** What writes the seeds: `sca ingest` (or `sca run`'s own ingest), not a stage. */
export const INGEST = "ingest";

/** A stage's place in the graph: the topic it consumes and the topics it may write. */
export interface StageSpec {
  input: TopicName;
  outputs: readonly (TopicName | DlqTopicName)[];
  /** Calls the LLM: a run or replay without such a stage needs no model server. */
  llm?: boolean;
}

/**
 * The stage graph, in stream order: every stage after ingest, the one place a stage is named. Each
 * is `services/<name>/stage.ts`; the run order, replay, the stage loader, the topic catalogue's
 * writers and readers (`sca topics`), and the stage types (runtime/stage.ts) derive from this table.
 */
export const STAGES = {
  concepts: { input: "seeds", outputs: ["concepts"], llm: true },
  instructions: { input: "concepts", outputs: ["instructions"], llm: true },
  // An unparsable sample goes to the instructions DLQ by itself while its siblings go on.
  responses: { input: "instructions", outputs: ["responses", "instructions.dlq"], llm: true },
  verdicts: { input: "responses", outputs: ["verdicts"] },
  selector: { input: "verdicts", outputs: ["selector.state", "selected"] },
  curation: { input: "selected", outputs: ["curation.state", "dataset"] },
  sink: { input: "dataset", outputs: [] },
} as const satisfies Record<string, StageSpec>;

export type StageName = keyof typeof STAGES;
export type StageInput<S extends StageName> = (typeof STAGES)[S]["input"];
export type StageOutput<S extends StageName> = (typeof STAGES)[S]["outputs"][number];

/** Every stage after ingest, in stream order. */
export const PIPELINE_STAGES: readonly string[] = Object.keys(STAGES);

/** The stages that call the LLM. */
export const LLM_STAGES: readonly string[] = Object.entries(STAGES as Record<string, StageSpec>)
  .filter(([, s]) => s.llm === true)
  .map(([name]) => name);

export function isStageName(name: string): name is StageName {
  return Object.hasOwn(STAGES, name);
}

/** A stage's name, input and outputs, for its `createStage` to return as they are in the table. */
export function stageIo<S extends StageName>(stage: S): { name: S; input: StageInput<S>; outputs: StageOutput<S>[] } {
  const spec = STAGES[stage];
  return { name: stage, input: spec.input, outputs: [...spec.outputs] };
}
