import { pino } from "pino";
import { Counter, register as globalRegistry, type Registry } from "prom-client";
import { CURATION_RULES, type CurationState } from "../../../schemas/records.ts";
import { stageIo } from "../../../schemas/stages.ts";
import { readTopic } from "../../runtime/read-topic.ts";
import type { PipelineStage, StageEmit } from "../../runtime/stage.ts";
import type { StageDeps } from "../../runtime/stage-loader.ts";
import { pythonParser } from "../../seeds/grammar.ts";
import { configDigest, loadCurationConfig } from "./config.ts";
import { pairFeatures } from "./features.ts";
import { type Change, CurationIndex } from "./index.ts";

export const STATE_TOPIC = "curation.state" as const;

/** The host's transport and codec (the changelog is read through them); logger and registry optional. */
export type CurationDeps = Pick<StageDeps, "transport" | "codec"> & Partial<Pick<StageDeps, "log" | "registry">>;

export interface CurationStage extends PipelineStage<"curation"> {
  readonly index: CurationIndex;
  close(): Promise<void>;
}

const counters = new WeakMap<Registry, Counter<"rule">>();

function droppedCounter(registry: Registry): Counter<"rule"> {
  let c = counters.get(registry);
  if (!c) {
    c = new Counter({
      name: "sca_curation_dropped_total",
      help: "Selected pairs curation dropped, by rule (a pair counts again if it was kept in between)",
      labelNames: ["rule"],
      registers: [registry],
    });
    // Every rule is a series from the start, so a dashboard shows the rules that dropped nothing as 0.
    for (const rule of CURATION_RULES) c.inc({ rule }, 0);
    counters.set(registry, c);
  }
  return c;
}

/**
 * `curation`: the reference's final clean-up (sanitize_data.py and the three MinHash passes of
 * sanitize.sh) as a stream stage between the selector and the sink. Its input topic has one
 * partition and it runs as one replica: near-duplicates land under unrelated instruction ids, so
 * one index must see every pair. The index is state, kept the selector's way: every change is
 * written to the `curation.state` changelog in the same commit as the input offset that caused it,
 * and restored from it on start (signatures included, so nothing is recomputed). Serial
 * (concurrency 1), so the last changelog record of a key is its newest state.
 */
export async function createStage(env: NodeJS.ProcessEnv, deps: CurationDeps): Promise<CurationStage> {
  const log = (deps.log ?? pino({ name: "sca" })).child({ stage: "curation" });
  const config = loadCurationConfig(env);
  const parser = await pythonParser();
  const index = new CurationIndex({ skip: config.skip, threshold: config.threshold, numPerm: config.numPerm, config: configDigest(config) });
  const latest = new Map<string, Buffer>();
  const restored = await readTopic(deps.transport, STATE_TOPIC, (r) => {
    if (r.key) latest.set(r.key, r.value);
  });
  for (const bytes of latest.values()) index.restore((await deps.codec.decode(STATE_TOPIC, bytes)) as CurationState);
  latest.clear();
  log.info({ restoredRecords: restored, pairs: index.size, skip: [...config.skip] }, "curation state restored");
  const dropped = droppedCounter(deps.registry ?? globalRegistry);

  const emitsOf = (changes: Change[]): StageEmit<"curation">[] =>
    changes.map((c) =>
      c.kind === "state" ? { topic: STATE_TOPIC, key: c.state.instruction_id, value: c.state } : { topic: "dataset", key: c.row.instruction_id, value: c.row },
    );

  return {
    ...stageIo("curation"),
    concurrency: 1,
    index,
    process(selected) {
      const { raw: _raw, ...pair } = selected;
      const changes = pair.retracted
        ? index.apply(pair.instruction_id, null, null)
        : index.apply(pair.instruction_id, pair, pairFeatures(selected, parser, config));
      for (const c of changes) if (c.kind === "state" && c.newlyDropped && c.state.rule) dropped.inc({ rule: c.state.rule });
      return Promise.resolve(emitsOf(changes));
    },
    async close() {},
  };
}
