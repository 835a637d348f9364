/** Every stage after ingest, in stream order; each is services/<name>/stage.ts. */
export const PIPELINE_STAGES: readonly string[] = ["concepts", "instructions", "responses", "verdicts", "selector", "curation", "sink"];

/** The stages that call the LLM: a run or replay without them needs no model server. */
export const LLM_STAGES: readonly string[] = ["concepts", "instructions", "responses"];
