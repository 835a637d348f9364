/**
 * Acceptance (issue 5): with the server failing 20% of requests (429, 500, hangs, garbage) and 10%
 * of completions unparsable, the three LLM stages, run by the real runner on the embedded log,
 * account for every input: it ends as output or in the DLQ with a reason; nothing is lost or doubled.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Concepts, DlqEnvelope, type Instruction, type Response } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { createStage as conceptsStage } from "../../services/stages/concepts/stage.ts";
import { createStage as instructionsStage } from "../../services/stages/instructions/stage.ts";
import { SeededRng } from "../../services/llm/rng.ts";
import { createStage as responsesStage } from "../../services/stages/responses/stage.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import { drain, until } from "../runtime/support/drain.ts";
import { startScriptedServer, type ScriptedReply, type ScriptedServer } from "./scripted-server.ts";
import { BAD, GOOD, kit, metricValue, modeOf, seed } from "./support.ts";

const SEEDS = 40;
const SAMPLES = 4;
/** Seeds whose every request fails: they must end in the DLQ as retries_exhausted. */
const DOOMED = new Set([5, 17]);
const FAULTS = ["429", "500", "hang", "garbage"] as const;

let dir: string;
let transport: EmbeddedTransport;
let srv: ScriptedServer;
const injected: Record<string, number> = { "429": 0, "500": 0, hang: 0, garbage: 0, unparsable: 0 };
const registry = new Registry();
const runners: StageRunner[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sca-llm-acceptance-"));
  transport = EmbeddedTransport.open(dir, { fsync: false });
  await transport.admin().createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: Math.min(t.partitions, 3) })));
  srv = await startScriptedServer({
    respond: (r): ScriptedReply => {
      const rng = new SeededRng("faults", r.seq);
      if ([...DOOMED].some((i) => String(r.body.prompt).includes(`(seed ${i})`))) return { status: 500 };
      if (rng.int(0, 99) < 20) {
        const fault = rng.pick(FAULTS);
        injected[fault]++;
        if (fault === "429") return { status: 429, headers: { "retry-after": "0" } };
        if (fault === "500") return { status: 500 };
        if (fault === "hang") return { hang: true };
        return { garbage: '{"choices": [{"text": ' };
      }
      const mode = modeOf(r);
      const texts = Array.from({ length: r.body.n ?? 1 }, (_, i) => {
        if (rng.int(0, 99) >= 10) return GOOD[mode](i);
        injected.unparsable++;
        return BAD[mode];
      });
      return { texts };
    },
  });
  // Long enough for a loaded CI machine, short enough that the injected hangs stay cheap.
  const env = { LLM_TIMEOUT_MS: "1000", LLM_MAX_ATTEMPTS: "2", SCA_RESPONSES_SAMPLES: String(SAMPLES) };
  const log = pino({ level: "silent" });
  const stages = [
    await conceptsStage({}, { kit: kit("concepts", srv.url, env, registry) }),
    await instructionsStage({}, { kit: kit("instructions", srv.url, env, registry) }),
    await responsesStage({}, { kit: kit("responses", srv.url, env, registry) }),
  ];
  for (const stage of stages) {
    const r = new StageRunner({
      transport,
      codec: new JsonCodec(),
      stage,
      registry: new Registry(),
      log,
      maxAttempts: 3,
      backoff: { baseMs: 10, maxMs: 50 },
      commitIntervalMs: 20,
      lagIntervalMs: 200,
    });
    runners.push(r);
    await r.start();
  }
}, 60_000);

afterAll(async () => {
  for (const r of runners) await r.close();
  await transport?.close();
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function doneWith(group: string, topic: string): Promise<boolean> {
  const admin = transport.admin();
  const high = await admin.describeTopic(topic);
  const committed = new Map((await admin.groupOffsets(group, topic)).map((o) => [o.partition, o.offset]));
  return high.every((p) => (committed.get(p.partition) ?? "0") === p.high);
}

const values = async <T>(topic: string, min: number) =>
  (await drain(transport, topic, { min, quietMs: 200 })).map((r) => ({ key: r.key, v: JSON.parse(r.value.toString()) as T }));

describe("LLM stages under injected faults, on the runner and the embedded log", () => {
  it("ends every input as output or in the DLQ with a reason", async () => {
    const seeds = Array.from({ length: SEEDS }, (_, i) => seed(i));
    const p = await transport.producer();
    await p.send(seeds.map((s) => ({ topic: "seeds", key: s.id, value: Buffer.from(JSON.stringify(s)) })));
    await p.close();

    await until(() => doneWith("concepts", "seeds"), "concepts to finish", 90_000);
    await until(() => doneWith("instructions", "concepts"), "instructions to finish", 90_000);
    await until(() => doneWith("responses", "instructions"), "responses to finish", 90_000);

    const concepts = await values<Concepts>("concepts", 0);
    const instructions = await values<Instruction>("instructions", 0);
    const responses = await values<Response>("responses", 0);
    const dlq = async (t: string) => (await values<unknown>(t, 0)).map(({ key, v }) => ({ key, env: DlqEnvelope.parse(v) }));
    const [seedsDlq, conceptsDlq, instructionsDlq] = [await dlq("seeds.dlq"), await dlq("concepts.dlq"), await dlq("instructions.dlq")];

    // S→C: each seed exactly once, as concepts or as a DLQ entry with a reason.
    const conceptKeys = concepts.map((c) => c.key);
    expect(new Set(conceptKeys).size).toBe(conceptKeys.length);
    for (const s of seeds) {
      const inDlq = seedsDlq.filter((d) => d.key === s.id);
      expect(conceptKeys.filter((k) => k === s.id).length + inDlq.length, `seed ${s.name}`).toBe(1);
      if (DOOMED.has(Number(s.name.slice(1)))) expect(inDlq[0]?.env.reason).toBe("retries_exhausted");
    }
    for (const d of seedsDlq) {
      expect(["retries_exhausted", "unparsable_output"]).toContain(d.env.reason);
      if (d.env.reason === "unparsable_output") expect(typeof d.env.detail?.raw).toBe("string");
    }

    // C→I: each concepts record once, as an instruction or a DLQ entry.
    for (const c of concepts) {
      const made = instructions.filter((i) => i.v.concepts_id === c.v.id).length;
      const dropped = conceptsDlq.filter((d) => d.key === c.key).length;
      expect(made + dropped, `concepts ${c.v.id}`).toBe(1);
    }

    // I→R: every one of an instruction's samples is a response or a per-sample DLQ entry, unless the whole instruction is in the DLQ.
    for (const ins of instructions) {
      const rs = responses.filter((r) => r.key === ins.v.id);
      const whole = instructionsDlq.filter((d) => d.key === ins.v.id && d.env.partition >= 0);
      const perSample = instructionsDlq.filter((d) => d.key === ins.v.id && d.env.partition === -1);
      if (whole.length > 0) {
        expect(rs.length + perSample.length, `instruction ${ins.v.id}`).toBe(0);
        expect(whole).toHaveLength(1);
      } else {
        expect(rs.length + perSample.length, `instruction ${ins.v.id}`).toBe(SAMPLES);
        expect(rs.every((r) => r.v.n_samples === rs.length)).toBe(true);
        expect(rs.map((r) => r.v.sample_index).sort()).toEqual([...Array(rs.length).keys()]);
      }
    }
    expect(new Set(responses.map((r) => r.v.id)).size).toBe(responses.length);

    console.info(
      JSON.stringify({
        injected,
        requests: srv.requests.length,
        concepts: concepts.length,
        seedsDlq: seedsDlq.length,
        instructions: instructions.length,
        conceptsDlq: conceptsDlq.length,
        responses: responses.length,
        instructionsDlq: instructionsDlq.length,
      }),
    );
    // The faults really happened, and the pipeline still produced.
    for (const k of Object.keys(injected)) expect(injected[k], k).toBeGreaterThan(0);
    expect(await metricValue(registry, "sca_llm_errors_total", { kind: "timeout" })).toBeGreaterThan(0);
    expect(await metricValue(registry, "sca_llm_errors_total", { kind: "invalid_response" })).toBeGreaterThan(0);
    expect(await metricValue(registry, "sca_llm_parse_failures_total")).toBeGreaterThan(0);
    expect(concepts.length).toBeGreaterThan(SEEDS / 2);
    expect(responses.length).toBeGreaterThan(SEEDS);
  }, 300_000);
});
