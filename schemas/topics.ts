import type { z } from "zod";
import { Concepts, CurationState, DatasetSample, DlqEnvelope, Instruction, Response, SelectedPair, SelectorState, Seed, Verdict } from "./records.ts";
import { INGEST, STAGES } from "./stages.ts";

export interface TopicSpec {
  name: string;
  key: string;
  schema: z.ZodType;
  partitions: number;
  /** ms; -1 keeps forever */
  retentionMs: number;
  compacted: boolean;
  /** Derived from the stage graph (schemas/stages.ts). */
  producedBy: string;
  consumedBy: string[];
}

type TopicSettings = Omit<TopicSpec, "producedBy" | "consumedBy">;

const FOREVER = -1;
const WEEK = 7 * 24 * 3600 * 1000;

const CATALOGUE = {
  seeds: { name: "seeds", key: "seed id", schema: Seed, partitions: 6, retentionMs: FOREVER, compacted: true },
  concepts: { name: "concepts", key: "seed id", schema: Concepts, partitions: 6, retentionMs: FOREVER, compacted: true },
  instructions: { name: "instructions", key: "instruction id", schema: Instruction, partitions: 12, retentionMs: FOREVER, compacted: false },
  responses: { name: "responses", key: "instruction id", schema: Response, partitions: 12, retentionMs: FOREVER, compacted: false },
  verdicts: { name: "verdicts", key: "instruction id", schema: Verdict, partitions: 12, retentionMs: FOREVER, compacted: false },
  // One partition: near-duplicates of a pair land under other instruction ids, so curation sees every
  // pair in one place. After selection the stream is small (the paper's whole dataset is 74k pairs).
  selected: { name: "selected", key: "instruction id", schema: SelectedPair, partitions: 1, retentionMs: FOREVER, compacted: true },
  dataset: { name: "dataset", key: "instruction id", schema: DatasetSample, partitions: 12, retentionMs: FOREVER, compacted: true },
  "selector.state": { name: "selector.state", key: "instruction id", schema: SelectorState, partitions: 12, retentionMs: FOREVER, compacted: true },
  "curation.state": { name: "curation.state", key: "instruction id", schema: CurationState, partitions: 1, retentionMs: FOREVER, compacted: true },
} as const satisfies Record<string, TopicSettings>;

export type TopicName = keyof typeof CATALOGUE;
export type DlqTopicName = `${TopicName}.dlq`;

/** The record a catalogue topic carries, as its schema outputs it: what a stage reads and emits. */
export type TopicRecord<T extends TopicName | DlqTopicName> = T extends TopicName ? z.output<(typeof CATALOGUE)[T]["schema"]> : z.output<typeof DlqEnvelope>;

function withStageGraph<C extends Record<string, TopicSettings>>(catalogue: C): { [K in keyof C]: C[K] & Pick<TopicSpec, "producedBy" | "consumedBy"> } {
  const stages = Object.entries(STAGES) as [string, { input: string; outputs: readonly string[] }][];
  const out: Record<string, TopicSpec> = {};
  for (const [name, settings] of Object.entries(catalogue)) {
    const writers = stages.filter(([, s]) => s.outputs.includes(name)).map(([stage]) => stage);
    out[name] = { ...settings, producedBy: writers.join(",") || INGEST, consumedBy: stages.filter(([, s]) => s.input === name).map(([stage]) => stage) };
  }
  return out as { [K in keyof C]: C[K] & Pick<TopicSpec, "producedBy" | "consumedBy"> };
}

/** The topic catalogue: one entry per record kind, plus a DLQ per consumed topic. */
export const TOPICS = withStageGraph(CATALOGUE);

export function dlqTopicName<T extends string>(topic: T): `${T}.dlq` {
  return `${topic}.dlq`;
}

export function dlqSpec(topic: TopicName): TopicSpec {
  return {
    name: dlqTopicName(topic),
    key: "original key",
    schema: DlqEnvelope,
    partitions: 1,
    retentionMs: 4 * WEEK,
    compacted: false,
    producedBy: TOPICS[topic].consumedBy.join(","),
    consumedBy: [],
  };
}

export function allTopicSpecs(): TopicSpec[] {
  const base = Object.values(TOPICS) as TopicSpec[];
  const dlqs = (Object.keys(TOPICS) as TopicName[]).filter((t) => TOPICS[t].consumedBy.length > 0).map(dlqSpec);
  return [...base, ...dlqs];
}

export function schemaFor(topic: string): z.ZodType {
  if (topic.endsWith(".dlq")) return DlqEnvelope;
  const spec = (TOPICS as Record<string, TopicSpec>)[topic];
  if (!spec) throw new Error(`unknown topic "${topic}": not in the catalogue (schemas/topics.ts)`);
  return spec.schema;
}
