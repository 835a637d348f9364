/**
 * The LLM server goes away in the middle of a run of the three LLM stages: first gone (connection
 * refused), then up but answering 503, then back. The stages must wait it out: every seed ends as
 * responses or in the DLQ for a reason of its own, never for the outage.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { expect } from "vitest";
import { DlqEnvelope, type Instruction, type Response } from "../../schemas/records.ts";
import { createStage as conceptsStage } from "../../services/stages/concepts/stage.ts";
import { createStage as instructionsStage } from "../../services/stages/instructions/stage.ts";
import { createStage as responsesStage } from "../../services/stages/responses/stage.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { Transport } from "../../services/runtime/transport.ts";
import { type ScriptedReply, type ScriptedServer, startScriptedServer } from "../llm/scripted-server.ts";
import { GOOD, kit, metricValue, modeOf, seed } from "../llm/support.ts";
import { drain, until } from "../runtime/support/drain.ts";

export interface OutageTimes {
  seeds: number;
  /** Connection refused for this long. */
  goneMs: number;
  /** Then every request, /v1/models included, answers 503 for this long. */
  failingMs: number;
}

export const ACCEPTANCE: OutageTimes = { seeds: 200, goneMs: 90_000, failingMs: 60_000 };

const SAMPLES = 2;
/** Seeds the server rejects (400) or answers with nothing usable: their expected record-level DLQ reasons. */
const REJECTED = new Set([7, 77, 177]);
const UNPARSABLE = new Set([33, 133]);

export async function runLlmOutage(transport: Transport, times: OutageTimes): Promise<void> {
  const registry = new Registry();
  const logLines: Array<{ msg: string; stage?: string }> = [];
  const log = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(line) as { msg: string });
        cb();
      },
    }),
  );
  let phase: "up" | "failing" = "up";
  const script = {
    respond: (r: Parameters<Parameters<typeof startScriptedServer>[0]["respond"]>[0]): ScriptedReply => {
      if (phase === "failing") return { status: 503 };
      const prompt = String(r.body.prompt);
      const target = /\(seed (\d+)\)/.exec(prompt.slice(prompt.lastIndexOf("def f")))?.[1];
      const mode = modeOf(r);
      if (mode === "concepts" && REJECTED.has(Number(target))) return { status: 400, body: JSON.stringify({ error: { message: "prompt too long" } }) };
      if (mode === "concepts" && UNPARSABLE.has(Number(target))) return { text: "\n\n" };
      return { texts: Array.from({ length: r.body.n ?? 1 }, (_, i) => GOOD[mode](i)), delayMs: 20 };
    },
    models: () => (phase === "failing" ? { status: 503 } : ["test-model"]),
  };
  let srv: ScriptedServer = await startScriptedServer(script);
  const port = Number(new URL(srv.url).port);
  const env = { LLM_TIMEOUT_MS: "5000", LLM_MAX_ATTEMPTS: "2", SCA_RESPONSES_SAMPLES: String(SAMPLES) };
  const stages = [
    await conceptsStage({}, { kit: kit("concepts", srv.url, env, registry) }),
    await instructionsStage({}, { kit: kit("instructions", srv.url, env, registry) }),
    await responsesStage({}, { kit: kit("responses", srv.url, env, registry) }),
  ];
  const runners = stages.map(
    (stage) =>
      new StageRunner({
        transport,
        codec: new JsonCodec(),
        stage,
        registry,
        log,
        maxAttempts: 3,
        backoff: { baseMs: 20, maxMs: 200 },
        probeBackoff: { baseMs: 200, maxMs: 2_000 },
        commitIntervalMs: 50,
        lagIntervalMs: 500,
      }),
  );
  const upSeen: Record<string, number[]> = {};
  const sampleUp = async () => {
    for (const s of ["concepts", "instructions", "responses"])
      (upSeen[s] ??= []).push(await metricValue(registry, "sca_dependency_up", { stage: s, dependency: "llm" }));
  };
  const sampler = setInterval(() => void sampleUp(), 500);
  try {
    for (const r of runners) await r.start();
    // Seeds arrive over the first ~20 s, so the outage catches records in every stage and some not yet read.
    const seeds = Array.from({ length: times.seeds }, (_, i) => seed(i));
    const p = await transport.producer();
    const feeding = (async () => {
      for (let i = 0; i < seeds.length; i += 10) {
        await p.send(seeds.slice(i, i + 10).map((s) => ({ topic: "seeds", key: s.id, value: Buffer.from(JSON.stringify(s)) })));
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    await until(
      async () => (await metricValue(registry, "sca_records_out_total", { stage: "responses", topic: "responses" })) >= 20,
      "the first responses",
      60_000,
    );

    await srv.close();
    const downAt = Date.now();
    await until(() => runners.some((r) => r.outages.length > 0), "a stage to notice the outage", 30_000);
    await new Promise((r) => setTimeout(r, Math.max(0, times.goneMs - (Date.now() - downAt))));
    phase = "failing";
    srv = await startScriptedServer(script, { port });
    await new Promise((r) => setTimeout(r, times.failingMs));
    expect(
      runners.flatMap((r) => r.outages.map((o) => o.dependency)),
      "still waiting while the server answers 503",
    ).toContain("llm");
    phase = "up";
    await feeding;
    await p.close();

    // Counted from the committed outputs: on Kafka, transaction markers keep a group's offset below the high watermark.
    const rejected = [...REJECTED, ...UNPARSABLE].filter((i) => i < times.seeds).length;
    const out = (stage: string, topic: string) => metricValue(registry, "sca_records_out_total", { stage, topic });
    await until(
      async () => (await out("concepts", "seeds.dlq")) >= rejected && (await out("responses", "responses")) >= (times.seeds - rejected) * SAMPLES,
      "every seed to be through",
      120_000,
    );
    await sampleUp();

    const read = async <T>(topic: string) =>
      (await drain(transport, topic, { min: 0, quietMs: transport.kind === "kafka" ? 3_000 : 300 })).map((r) => ({
        key: r.key,
        v: JSON.parse(r.value.toString()) as T,
      }));
    const instructions = await read<Instruction>("instructions");
    const responses = await read<Response>("responses");
    const dlqs = [...(await read<unknown>("seeds.dlq")), ...(await read<unknown>("concepts.dlq")), ...(await read<unknown>("instructions.dlq"))].map(({ v }) =>
      DlqEnvelope.parse(v),
    );

    // Every seed: SAMPLES responses, or exactly its expected record-level DLQ entry; nothing for the outage.
    expect(dlqs.filter((d) => d.reason === "retries_exhausted").map((d) => d.error)).toEqual([]);
    for (const [i, s] of seeds.entries()) {
      const ins = instructions.filter((x) => x.v.seed.seed_id === s.id);
      const rs = responses.filter((r) => ins.some((x) => x.v.id === r.key));
      const dead = dlqs.filter((d) => d.key === s.id);
      if (REJECTED.has(i))
        expect(
          dead.map((d) => d.reason),
          `seed ${i}`,
        ).toEqual(["poison"]);
      else if (UNPARSABLE.has(i))
        expect(
          dead.map((d) => d.reason),
          `seed ${i}`,
        ).toEqual(["unparsable_output"]);
      else {
        expect(dead, `seed ${i}`).toEqual([]);
        expect(ins, `seed ${i}`).toHaveLength(1);
        expect(rs.length, `seed ${i}`).toBe(SAMPLES);
      }
    }
    expect(new Set(responses.map((r) => r.v.id)).size).toBe(responses.length);

    // The outage showed: the dependency metric went to 0 and back to 1 and time was counted.
    for (const s of ["concepts", "instructions", "responses"]) {
      expect(upSeen[s].at(-1), s).toBe(1);
    }
    expect(Object.values(upSeen).some((xs) => xs.includes(0))).toBe(true);
    expect(await metricValue(registry, "sca_dependency_outage_seconds_total")).toBeGreaterThan((times.goneMs + times.failingMs) / 1000 / 2);
    // No consumer was reopened, nothing restarted: the runners rode it out in place.
    expect(logLines.filter((l) => /reopening|commit failed/.test(l.msg)).map((l) => l.msg)).toEqual([]);
    expect(logLines.filter((l) => l.msg.startsWith("dependency down")).length).toBeGreaterThan(0);
    expect(logLines.filter((l) => l.msg.startsWith("dependency back")).length).toBeGreaterThan(0);
    for (const r of runners) expect(r.ready).toBe(true);
  } finally {
    clearInterval(sampler);
    for (const r of runners) await r.close();
    await srv.close().catch(() => undefined);
  }
}
