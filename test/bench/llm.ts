/**
 * `npm run bench -- llm [--quick] [--stage concepts|instructions|responses]`: slot occupancy of the simulated continuous-batching server
 * (test/llm/sim-server.ts) when the real LLM stages drive it through the real runner on the
 * embedded log, with our adaptive client concurrency against the reference's fixed 16 concurrent
 * requests, in the same run; plus the prefix-caching-friendly fixed shot order against the
 * reference's random shots.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { Registry } from "prom-client";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { createStage as conceptsStage } from "../../services/stages/concepts/stage.ts";
import { createStage as instructionsStage } from "../../services/stages/instructions/stage.ts";
import type { Mode } from "../../services/llm/prompts.ts";
import type { LlmStageKit } from "../../services/llm/stage-kit.ts";
import { createStage as responsesStage } from "../../services/stages/responses/stage.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import { spawnSimServer } from "../llm/sim-process.ts";
import type { SimOptions, SimStats } from "../llm/sim-server.ts";
import { conceptsFixture, instructionFixture, kit, metricValue, seed } from "../llm/support.ts";

// 50 ms per step (20 tokens/s per sequence, a large model on a busy GPU) leaves the client, which
// shares this machine's CPU with the simulator, time to keep up: what is measured is the client.
const SIM: Omit<SimOptions, "lengths" | "windowFromRequest"> = { slots: 32, msPerStep: 80, prefillTokensPerStep: 2048, prefixCaching: true };
/** Completion lengths (tokens) per mode: short concept lists, paragraph-long tasks, code answers. */
const LENGTHS: Record<Mode, [number, number]> = { concepts: [15, 40], instructions: [20, 60], responses: [30, 100] };

const SAMPLES: Record<Mode, number> = { concepts: 1, instructions: 1, responses: 10 };

/** Client settings per mode; the limit counts sequences, so 16 concurrent requests of n samples is 16n. */
const CLIENTS = {
  adaptive: () => ({ LLM_CONCURRENCY_INITIAL: "4", LLM_CONCURRENCY_MIN: "1", LLM_CONCURRENCY_MAX: "512" }),
  "fixed 16 (reference)": (mode: Mode) => {
    const fixed = String(16 * SAMPLES[mode]);
    return { LLM_CONCURRENCY_INITIAL: fixed, LLM_CONCURRENCY_MIN: fixed, LLM_CONCURRENCY_MAX: fixed };
  },
} as const;

interface Scenario {
  mode: Mode;
  client: keyof typeof CLIENTS;
  shots: "random" | "fixed";
  inputs: number;
}

interface Result extends Scenario {
  sim: SimStats;
  seconds: number;
  requestsPerSecond: number;
  tokensPerSecond: number;
  meanLatencySeconds: number;
  finalLimit: number;
}

const STAGES: Record<Mode, { create: (env: NodeJS.ProcessEnv, deps: { kit: LlmStageKit }) => Promise<StageDef>; input: (i: number) => unknown }> = {
  concepts: { create: conceptsStage, input: seed },
  instructions: { create: instructionsStage, input: conceptsFixture },
  responses: { create: responsesStage, input: instructionFixture },
};

async function runScenario(sc: Scenario): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "sca-bench-llm-"));
  const transport = EmbeddedTransport.open(dir, { fsync: false });
  await transport.admin().createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: t.partitions })));
  // Steady state: the first fifth of the inputs is the client's warm-up (slow start), not measured.
  const sim = await spawnSimServer({ ...SIM, lengths: LENGTHS, windowFromRequest: Math.ceil(sc.inputs / 5) });
  const registry = new Registry();
  const stage: StageDef = await STAGES[sc.mode].create(
    {},
    { kit: kit(sc.mode, sim.url, { ...CLIENTS[sc.client](sc.mode), SCA_SHOT_ORDER: sc.shots, SCA_RESPONSES_SAMPLES: String(SAMPLES.responses) }, registry) },
  );
  const p = await transport.producer();
  const inputs = Array.from({ length: sc.inputs }, (_, i) => STAGES[sc.mode].input(i) as { id: string });
  await p.send(inputs.map((v) => ({ topic: stage.input, key: v.id, value: Buffer.from(JSON.stringify(v)) })));
  await p.close();

  const runner = new StageRunner({ transport, codec: new JsonCodec(), stage, registry: new Registry(), log: pino({ level: "silent" }), commitIntervalMs: 50 });
  const started = performance.now();
  await runner.start();
  while ((await sim.stats()).requests < sc.inputs) await sleep(10);
  await sim.stopWindow();
  const admin = transport.admin();
  for (;;) {
    const high = await admin.describeTopic(stage.input);
    const committed = new Map((await admin.groupOffsets(stage.name, stage.input)).map((o) => [o.partition, o.offset]));
    if (high.every((q) => (committed.get(q.partition) ?? "0") === q.high)) break;
    await sleep(20);
  }
  const seconds = (performance.now() - started) / 1000;
  await runner.close();
  await transport.close();
  const stats = await sim.stats();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });

  const latencySum = await metricValue(registry, "sca_llm_request_duration_seconds_sum");
  const latencyCount = await metricValue(registry, "sca_llm_request_duration_seconds_count");
  return {
    ...sc,
    sim: stats,
    seconds,
    requestsPerSecond: sc.inputs / seconds,
    tokensPerSecond: stats.completionTokens / seconds,
    meanLatencySeconds: latencySum / Math.max(1, latencyCount),
    finalLimit: await metricValue(registry, "sca_llm_concurrency_limit"),
  };
}

export async function run(args: string[]): Promise<{ table: string; data: unknown }> {
  const scale = args.includes("--quick") ? 0.5 : 1;
  const only = args.includes("--stage") ? args[args.indexOf("--stage") + 1] : undefined;
  const n = (x: number) => Math.max(8, Math.round(x * scale));
  const scenarios: Scenario[] = [];
  for (const [mode, inputs] of [
    ["concepts", n(400)],
    ["instructions", n(300)],
    ["responses", n(40)],
  ] as const) {
    for (const client of Object.keys(CLIENTS) as Array<keyof typeof CLIENTS>) scenarios.push({ mode, client, shots: "random", inputs });
  }
  scenarios.push({ mode: "concepts", client: "adaptive", shots: "fixed", inputs: n(400) });
  const chosen = only ? scenarios.filter((sc) => sc.mode === only) : scenarios;
  if (chosen.length === 0) throw new Error(`--stage ${only}: not one of concepts, instructions, responses`);

  const results: Result[] = [];
  for (const sc of chosen) {
    console.error(`-- ${sc.mode} / ${sc.client} / ${sc.shots} shots / ${sc.inputs} inputs`);
    results.push(await runScenario(sc));
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = results.map((r) =>
    [
      r.mode,
      r.client,
      r.shots,
      r.inputs,
      pct(r.sim.occupancy),
      r.sim.meanWaiting.toFixed(1),
      r.sim.maxWaiting,
      r.requestsPerSecond.toFixed(1),
      r.tokensPerSecond.toFixed(0),
      r.meanLatencySeconds.toFixed(2),
      r.finalLimit,
      `${pct(1 - r.sim.prefilledTokens / r.sim.promptTokens)}`,
      r.seconds.toFixed(1),
    ].join(" | "),
  );
  const table = [
    `Simulated server: ${SIM.slots} sequence slots, ${SIM.msPerStep} ms per decode step, ${SIM.prefillTokensPerStep} prefill tokens per step, prefix caching on.`,
    "Occupancy is measured in steady state: from the arrival of the request for input N/5 until the last input has been sent (warm-up and the drain tail, with no work left to send, are excluded).",
    "Responses use n=10 samples per request (each sample takes a slot).",
    "",
    "| stage | client | shots | inputs | slot occupancy | mean waiting seqs | max waiting seqs | inputs/s | completion tok/s | mean latency s | final limit (seqs) | prompt tokens from cache | wall s |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r} |`),
  ].join("\n");
  return { table, data: { sim: SIM, lengths: LENGTHS, results } };
}
