import type { z } from "zod";
import { Concepts, CurationState, DatasetSample, DlqEnvelope, Instruction, Response, SelectedPair, SelectorState, Seed, Verdict } from "./records.ts";

export interface TopicSpec {
  name: string;
  key: string;
  schema: z.ZodType;
  partitions: number;
  /** ms; -1 keeps forever */
  retentionMs: number;
  compacted: boolean;
  producedBy: string;
  consumedBy: string[];
}

const FOREVER = -1;
const WEEK = 7 * 24 * 3600 * 1000;

/** The topic catalogue: one entry per record kind, plus a DLQ per consumed topic. */
export const TOPICS = {
  seeds: { name: "seeds", key: "seed id", schema: Seed, partitions: 6, retentionMs: FOREVER, compacted: true, producedBy: "ingest", consumedBy: ["concepts"] },
  concepts: { name: "concepts", key: "seed id", schema: Concepts, partitions: 6, retentionMs: FOREVER, compacted: true, producedBy: "concepts", consumedBy: ["instructions"] },
  instructions: { name: "instructions", key: "instruction id", schema: Instruction, partitions: 12, retentionMs: FOREVER, compacted: false, producedBy: "instructions", consumedBy: ["responses"] },
  responses: { name: "responses", key: "instruction id", schema: Response, partitions: 12, retentionMs: FOREVER, compacted: false, producedBy: "responses", consumedBy: ["verdicts"] },
  verdicts: { name: "verdicts", key: "instruction id", schema: Verdict, partitions: 12, retentionMs: FOREVER, compacted: false, producedBy: "verdicts", consumedBy: ["selector"] },
  // One partition: near-duplicates of a pair land under other instruction ids, so curation sees every
  // pair in one place. After selection the stream is small (the paper's whole dataset is 74k pairs).
  selected: { name: "selected", key: "instruction id", schema: SelectedPair, partitions: 1, retentionMs: FOREVER, compacted: true, producedBy: "selector", consumedBy: ["curation"] },
  dataset: { name: "dataset", key: "instruction id", schema: DatasetSample, partitions: 12, retentionMs: FOREVER, compacted: true, producedBy: "curation", consumedBy: ["sink"] },
  "selector.state": { name: "selector.state", key: "instruction id", schema: SelectorState, partitions: 12, retentionMs: FOREVER, compacted: true, producedBy: "selector", consumedBy: [] },
  "curation.state": { name: "curation.state", key: "instruction id", schema: CurationState, partitions: 1, retentionMs: FOREVER, compacted: true, producedBy: "curation", consumedBy: [] },
} as const satisfies Record<string, TopicSpec>;

export type TopicName = keyof typeof TOPICS;

export function dlqTopicName(topic: string): string {
  return `${topic}.dlq`;
}

export function dlqSpec(topic: TopicName): TopicSpec {
  return { name: dlqTopicName(topic), key: "original key", schema: DlqEnvelope, partitions: 1, retentionMs: 4 * WEEK, compacted: false, producedBy: TOPICS[topic].consumedBy.join(","), consumedBy: [] };
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
