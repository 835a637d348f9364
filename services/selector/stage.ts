import { existsSync } from "node:fs";
import { pino, type Logger } from "pino";
import type { Registry } from "prom-client";
import type { SelectorState, Verdict } from "../../schemas/records.ts";
import { defaultBenchmarksDir, loadBenchmarks } from "../decontam/benchmarks.ts";
import { Decontaminator } from "../decontam/matcher.ts";
import type { Codec } from "../runtime/codec.ts";
import { buildCodec, buildTransport, loadRuntimeConfig } from "../runtime/config.ts";
import { qualityMetrics } from "../runtime/quality-metrics.ts";
import type { Emit, StageDef } from "../runtime/stage.ts";
import type { Transport } from "../runtime/transport.ts";
import { readTopic } from "../pipeline/read-topic.ts";
import { applyVerdict, expireRound, isExpired, type SelectorOptions, type Step } from "./aggregate.ts";
import { loadSelectorConfig } from "./config.ts";
import { getPolicy } from "./policies.ts";

export const STATE_TOPIC = "selector.state";

export interface SelectorDeps {
  /** The transport the runner uses; without one (a Kafka service) the selector opens its own from env. */
  transport?: Transport;
  codec?: Codec;
  /** The benchmark check; by default the decontamination module over SCA_BENCHMARKS_DIR. */
  isContaminated?: (text: string) => boolean;
  log?: Logger;
  clock?: () => Date;
  /** Where sca_selections_total{outcome} is counted (the runner's registry). */
  registry?: Registry;
}

export interface SelectorStage extends StageDef<Verdict> {
  /** Decides every round whose stragglers are overdue (all open rounds with `force`); returns how many. */
  expire(force?: boolean): Promise<number>;
  /** Open rounds: instructions still waiting for samples. */
  openRounds(): number;
  close(): Promise<void>;
}

/**
 * The selector. Its state (one SelectorState per instruction) lives in memory and in the
 * `selector.state` changelog: every verdict's state update is emitted in the same commit as the
 * verdict's offset, so after a crash the restored state (last record per key) covers exactly the
 * committed verdicts and the uncommitted ones are redelivered. This works unchanged on Kafka (a
 * compacted topic) and on the embedded log. Holding input offsets instead would not: a partition's
 * commit point cuts through rounds of different instructions, so a restart would redeliver half a
 * round. Runs with concurrency 1, so state updates happen in offset order and the last changelog
 * record of a key is its newest state.
 *
 * Straggler expiry cannot ride on an input's commit (no input arrives), so overdue rounds are
 * decided on a timer and their state and dataset records appended in one atomic send. A crash
 * before that send simply expires the round again after restart, deterministically.
 */
export async function createStage(envVars: NodeJS.ProcessEnv, deps: SelectorDeps = {}): Promise<SelectorStage> {
  const log = (deps.log ?? pino({ name: "sca" })).child({ stage: "selector" });
  const config = loadSelectorConfig(envVars);
  const env = { ...(await ownTransport(envVars, deps)), config };
  const clock = deps.clock ?? (() => new Date());
  const policy = getPolicy(config.policy);
  const isContaminated = deps.isContaminated ?? benchmarkCheck(envVars, log);
  const states = new Map<string, SelectorState>();
  // Only the newest record per key matters: keep its bytes while reading, decode once at the end.
  const latest = new Map<string, Buffer>();
  const restored = await readTopic(env.transport, STATE_TOPIC, (r) => {
    if (r.key) latest.set(r.key, r.value);
  });
  for (const [key, bytes] of latest) states.set(key, (await env.codec.decode(STATE_TOPIC, bytes)) as SelectorState);
  log.info({ restoredRecords: restored, instructions: states.size, policy: policy.name }, "selector state restored");

  const opts = (): SelectorOptions => ({ policy, isContaminated, now: clock() });
  const metrics = qualityMetrics(deps.registry);
  const emitsOf = (step: Step): Emit[] => {
    const out: Emit[] = [{ topic: STATE_TOPIC, key: step.state.instruction_id, value: step.state }];
    if (step.change) out.push({ topic: "selected", key: step.state.instruction_id, value: step.change.row });
    return out;
  };

  const countDecision = (prev: SelectorState | undefined, step: Step) => {
    const d = step.state.last_decision;
    if (d && d !== prev?.last_decision) metrics.selections.inc({ outcome: d.outcome });
  };

  let producer: Awaited<ReturnType<Transport["producer"]>> | undefined;
  let expiring: Promise<number> | undefined;
  const expireNow = async (force: boolean): Promise<number> => {
    const now = clock();
    const steps: Step[] = [];
    for (const s of states.values()) if (s.pending.length > 0 && (force || isExpired(s, now, env.config.stragglerTimeoutMs))) steps.push(expireRound(s, now, policy.name));
    if (steps.length === 0) return 0;
    const records = [];
    for (const e of steps.flatMap(emitsOf)) records.push({ topic: e.topic, key: e.key, value: await env.codec.encode(e.topic, e.value) });
    producer ??= await env.transport.producer();
    await producer.send(records);
    for (const s of steps) {
      countDecision(states.get(s.state.instruction_id), s);
      states.set(s.state.instruction_id, s.state);
    }
    log.info({ rounds: steps.length, forced: force }, "decided rounds with missing samples");
    return steps.length;
  };
  const expire = (force = false): Promise<number> => {
    // Serialised so a forced flush never interleaves with a timer-driven one.
    const run = (expiring ?? Promise.resolve(0)).catch(() => 0).then(() => expireNow(force));
    expiring = run;
    return run;
  };
  const timer = setInterval(() => {
    expire().catch((e) => log.error({ err: (e as Error).message }, "straggler expiry failed; will retry"));
  }, Math.min(env.config.stragglerTimeoutMs, 5_000));
  timer.unref();

  return {
    name: "selector",
    input: "verdicts",
    outputs: [STATE_TOPIC, "selected"],
    concurrency: 1,
    async process(v: Verdict): Promise<Emit[]> {
      const prev = states.get(v.instruction_id);
      const known = prev?.samples.find((s) => s.sample_index === v.sample_index);
      const accounted = prev && known?.verdict_id === v.id && known.judged_at === v.lineage.created_at && !prev.pending.includes(v.sample_index);
      if (prev && accounted && prev.policy === policy.name) {
        // This very verdict was decided on already, under this policy (a redelivery, or a replay of
        // the selector with the same policy): repeat the outputs, change nothing. A re-judgement has
        // the same id but a new judged_at; a replay under a new policy forms a new round.
        return [{ topic: STATE_TOPIC, key: v.instruction_id, value: prev }, ...(prev.emitted ? [{ topic: "selected", key: v.instruction_id, value: prev.emitted }] : [])];
      }
      const step = applyVerdict(prev, v, opts());
      states.set(v.instruction_id, step.state);
      countDecision(prev, step);
      return emitsOf(step);
    },
    expire,
    openRounds: () => [...states.values()].filter((s) => s.pending.length > 0).length,
    async close() {
      clearInterval(timer);
      await expiring?.catch(() => 0);
      await producer?.close();
      if (env.owned) await env.transport.close();
    },
  };
}

async function ownTransport(envVars: NodeJS.ProcessEnv, deps: SelectorDeps): Promise<{ transport: Transport; codec: Codec; owned: boolean }> {
  if (deps.transport && deps.codec) return { transport: deps.transport, codec: deps.codec, owned: false };
  const cfg = loadRuntimeConfig(envVars);
  if (cfg.transport === "embedded") {
    // The embedded log admits one opener per process, and `sca service` opens it after createStage.
    throw new Error("the selector restores its state through the runner's transport: on the embedded log run it inside `sca run`, or use SCA_TRANSPORT=kafka");
  }
  return { transport: await buildTransport(cfg), codec: await buildCodec(cfg), owned: true };
}

/** Generated pairs are matched case- and whitespace-insensitively against the benchmark problems and solutions. */
function benchmarkCheck(envVars: NodeJS.ProcessEnv, log: Logger): (text: string) => boolean {
  const dir = defaultBenchmarksDir(envVars);
  if (!envVars.SCA_BENCHMARKS_DIR && !existsSync(dir)) {
    log.warn({ dir }, "no benchmarks folder: selected pairs are NOT decontaminated (set SCA_BENCHMARKS_DIR)");
    return () => false;
  }
  const d = new Decontaminator(loadBenchmarks([dir]), "normalized");
  log.info({ dir, strings: d.size }, "decontaminating selected pairs against the benchmarks");
  return (text) => d.isContaminated(text);
}
