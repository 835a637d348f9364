import { existsSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { SelectorState } from "../../../schemas/records.ts";
import { STAGES, stageIo } from "../../../schemas/stages.ts";
import { defaultBenchmarksDir, loadBenchmarks } from "../../decontam/benchmarks.ts";
import { Decontaminator } from "../../decontam/matcher.ts";
import { loadRuntimeConfig, storeDirOf } from "../../runtime/config.ts";
import { qualityMetrics } from "../quality-metrics.ts";
import type { StageDeps } from "../../runtime/stage-loader.ts";
import type { PipelineStage, StageEmit } from "../../runtime/stage.ts";
import { PartitionedStore } from "../../runtime/state-store/partitioned-store.ts";
import { applyVerdict, expireRound, isExpired, type SelectorOptions, type Step } from "./aggregate.ts";
import { loadSelectorConfig } from "./config.ts";
import { getPolicy } from "./policies.ts";

export const STATE_TOPIC = "selector.state" as const;

export type SelectorDeps = Pick<StageDeps, "transport" | "codec"> &
  Partial<Omit<StageDeps, "transport" | "codec">> & {
    /** The benchmark check; by default the decontamination module over SCA_BENCHMARKS_DIR. */
    isContaminated?: (text: string) => boolean;
    clock?: () => Date;
  };

export interface SelectorStage extends PipelineStage<"selector"> {
  /** Makes the next punctuation of every owned partition decide all its open rounds (the end of a finite run). */
  expireAll(): void;
  /** Open rounds on the owned partitions: instructions still waiting for samples. */
  openRounds(): number;
  close(): Promise<void>;
}

/**
 * The selector. Its state (one SelectorState per instruction) is partitioned like its input: the
 * state of the instructions in `verdicts` partition p lives in partition p of the `selector.state`
 * changelog and, on the member that owns p, in a disk-backed store (runtime/state-store). Every
 * verdict's state update is emitted in the same commit as the verdict's offset, so a new owner that
 * restores the changelog has exactly the state of the committed verdicts, and the uncommitted ones
 * are redelivered. Holding input offsets instead would not work: a partition's commit point cuts
 * through rounds of different instructions. Runs with concurrency 1, so state updates happen in
 * offset order and the last changelog record of a key is its newest state.
 *
 * Straggler expiry is the runner's punctuation: on each owned partition, overdue rounds are decided
 * and their state and dataset records committed in that partition's next commit.
 */
export async function createStage(env: NodeJS.ProcessEnv, deps: SelectorDeps): Promise<SelectorStage> {
  const log = (deps.log ?? pino({ name: "sca" })).child({ stage: "selector" });
  const config = loadSelectorConfig(env);
  const clock = deps.clock ?? (() => new Date());
  const policy = getPolicy(config.policy);
  const isContaminated = deps.isContaminated ?? benchmarkCheck(env, log);
  const store = new PartitionedStore<SelectorState>({
    dir: join(deps.storeDir ?? storeDirOf(loadRuntimeConfig(env)), "selector"),
    changelog: STATE_TOPIC,
    input: STAGES.selector.input,
    transport: deps.transport,
    codec: deps.codec,
    log,
    index: (s) => s.pending.length > 0,
  });
  const forced = new Set<number>();

  const opts = (): SelectorOptions => ({ policy, isContaminated, now: clock() });
  const metrics = qualityMetrics(deps.registry);
  const emitsOf = (step: Step): StageEmit<"selector">[] => {
    const out: StageEmit<"selector">[] = [{ topic: STATE_TOPIC, key: step.state.instruction_id, value: step.state }];
    if (step.change) out.push({ topic: "selected", key: step.state.instruction_id, value: step.change.row });
    return out;
  };
  const countDecision = (prev: SelectorState | undefined, step: Step) => {
    const d = step.state.last_decision;
    if (d && d !== prev?.last_decision) metrics.selections.inc({ outcome: d.outcome });
  };

  return {
    ...stageIo("selector"),
    concurrency: 1,
    async process(v, ctx) {
      if (ctx.partition === undefined || ctx.offset === undefined)
        throw new Error("the selector needs the record's partition and offset (run it under the stage runner)");
      const states = store.partition(ctx.partition);
      const prev = states.get(v.instruction_id);
      const known = prev?.samples.find((s) => s.sample_index === v.sample_index);
      const accounted = prev && known?.verdict_id === v.id && known.judged_at === v.lineage.created_at && !prev.pending.includes(v.sample_index);
      if (prev && accounted && prev.policy === policy.name) {
        // This very verdict was decided on already, under this policy (a redelivery, or a replay of
        // the selector with the same policy): repeat the outputs, change nothing. A re-judgement has
        // the same id but a new judged_at; a replay under a new policy forms a new round.
        return [
          { topic: STATE_TOPIC, key: v.instruction_id, value: prev },
          ...(prev.emitted ? [{ topic: "selected" as const, key: v.instruction_id, value: prev.emitted }] : []),
        ];
      }
      const step = applyVerdict(prev, v, opts());
      states.put(v.instruction_id, step.state, ctx.offset);
      countDecision(prev, step);
      return emitsOf(step);
    },
    partitions: {
      assigned: (partitions) => store.assign(partitions),
      revoked: (partitions) => store.drop(partitions),
      committed: (partition, offset, appended) => store.committed(partition, offset, appended),
      punctuateIntervalMs: Math.min(config.stragglerTimeoutMs, 5_000),
      punctuate(partition, tag) {
        const force = forced.delete(partition);
        const states = store.partition(partition);
        const now = clock();
        const out: StageEmit<"selector">[] = [];
        let rounds = 0;
        for (const s of states.indexedValues()) {
          if (!force && !isExpired(s, now, config.stragglerTimeoutMs)) continue;
          const step = expireRound(s, now, policy.name);
          states.put(s.instruction_id, step.state, tag);
          countDecision(s, step);
          out.push(...emitsOf(step));
          rounds++;
        }
        if (rounds) log.info({ partition, rounds, forced: force }, "decided rounds with missing samples");
        return out;
      },
    },
    expireAll() {
      for (const p of store.ownedPartitions()) forced.add(p);
    },
    openRounds: () => store.ownedPartitions().reduce((n, p) => n + store.partition(p).indexedValues().length, 0),
    async close() {
      await store.close();
    },
  };
}

/** Generated pairs are matched case- and whitespace-insensitively against the benchmark problems and solutions. */
function benchmarkCheck(env: NodeJS.ProcessEnv, log: Logger): (text: string) => boolean {
  const dir = defaultBenchmarksDir(env);
  if (!env.SCA_BENCHMARKS_DIR && !existsSync(dir)) {
    log.warn({ dir }, "no benchmarks folder: selected pairs are NOT decontaminated (set SCA_BENCHMARKS_DIR)");
    return () => false;
  }
  const d = new Decontaminator(loadBenchmarks([dir]), "normalized");
  log.info({ dir, strings: d.size }, "decontaminating selected pairs against the benchmarks");
  return (text) => d.isContaminated(text);
}
