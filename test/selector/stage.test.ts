import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SelectedPair, SelectorState } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import { createStage, type SelectorStage } from "../../services/stages/selector/stage.ts";
import { verdict } from "./fixtures.ts";

const silent = pino({ level: "silent" });
const codec = new JsonCodec();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sca-selector-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function open(): Promise<EmbeddedTransport> {
  const t = EmbeddedTransport.open(dir, { fsync: false });
  await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: 3 })));
  return t;
}

async function produce(t: EmbeddedTransport, vs: ReturnType<typeof verdict>[]): Promise<void> {
  const p = await t.producer();
  await p.send(await Promise.all(vs.map(async (v) => ({ topic: "verdicts", key: v.instruction_id, value: await codec.encode("verdicts", v) }))));
}

async function rows(t: EmbeddedTransport): Promise<SelectedPair[]> {
  const out: SelectedPair[] = [];
  await readTopic(t, "selected", (r) => void out.push(SelectedPair.parse(JSON.parse(r.value.toString()))));
  return out;
}

const registry = new Registry();

function selector(t: EmbeddedTransport, env: NodeJS.ProcessEnv = {}): Promise<SelectorStage> {
  return createStage(
    { SCA_SELECTION_POLICY: "pass-random", ...env },
    { transport: t, codec, log: silent, isContaminated: () => false, registry, storeDir: join(dir, "stores") },
  );
}

async function caughtUp(t: EmbeddedTransport): Promise<void> {
  const admin = t.admin();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const highs = await admin.describeTopic("verdicts");
    const committed = await admin.groupOffsets("selector", "verdicts");
    const behind = highs.some((h) => h.high !== "0" && committed.find((c) => c.partition === h.partition)?.offset !== h.high);
    if (!behind) return;
    if (Date.now() > deadline) throw new Error("selector did not catch up");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a selector until it has committed every verdict in the log, then stops it; returns its open rounds at that point. */
async function runSelector(t: EmbeddedTransport, stage?: SelectorStage): Promise<number> {
  stage ??= await selector(t);
  const runner = new StageRunner({ transport: t, codec, stage: stage as StageDef, registry: new Registry(), log: silent, commitIntervalMs: 10 });
  await runner.start();
  await caughtUp(t);
  const open = stage.openRounds();
  await runner.close();
  await stage.close();
  return open;
}

describe("selector stage on the embedded log", () => {
  it("keeps a half-aggregated round across a restart and emits each row once", async () => {
    let t = await open();
    await produce(t, [
      verdict("a", 0, 3, "fail"),
      verdict("a", 1, 3, "pass"),
      verdict("b", 0, 2, "pass"),
      verdict("b", 1, 2, "pass"),
      verdict("c", 0, 1, "fail"),
    ]);
    expect(await runSelector(t)).toBe(1);
    expect((await rows(t)).map((r) => r.instruction_id)).toEqual([verdict("b", 0, 2, "pass").instruction_id]);
    await t.close();

    // A fresh process: only the changelog knows that a's samples 0 and 1 were seen.
    t = await open();
    await produce(t, [verdict("a", 2, 3, "timeout")]);
    expect(await runSelector(t)).toBe(0);
    const out = await rows(t);
    expect(out.map((r) => r.instruction_id).sort()).toEqual([verdict("a", 0, 3, "fail").instruction_id, verdict("b", 0, 2, "pass").instruction_id].sort());
    const a = out.find((r) => r.instruction_id === verdict("a", 0, 3, "fail").instruction_id)!;
    expect(a.response_id).toBe(verdict("a", 1, 3, "pass").response_id);
    expect(a.n_passed).toBe(1);

    const counted = (await registry.getSingleMetric("sca_selections_total")!.get()).values.map((v) => [v.labels.outcome, v.value]);
    expect(Object.fromEntries(counted)).toEqual({ selected: 2, no_pass: 1 });

    const states = new Map<string, SelectorState>();
    await readTopic(t, "selector.state", (r) => void states.set(r.key!, SelectorState.parse(JSON.parse(r.value.toString()))));
    expect(states.get(verdict("c", 0, 1, "fail").instruction_id)?.last_decision?.outcome).toBe("no_pass");
    await t.close();
  });

  it("re-reading verdicts it already accounted for changes nothing (replay of the selector with the same policy)", async () => {
    const t = await open();
    await produce(t, [verdict("a", 0, 2, "pass"), verdict("a", 1, 2, "fail")]);
    await runSelector(t);
    await t.admin().setGroupOffsets(
      "selector",
      [0, 1, 2].map((partition) => ({ topic: "verdicts", partition, offset: "0" })),
    );
    await runSelector(t);
    const out = await rows(t);
    expect(new Set(out.map((r) => r.id)).size).toBe(1);
    await t.close();
  });

  it("decides a round whose stragglers never come, after the timeout, atomically with its state", async () => {
    const t = await open();
    await produce(t, [verdict("s", 0, 3, "pass")]);
    const stage = await selector(t, { SCA_STRAGGLER_TIMEOUT_MS: "300" });
    const runner = new StageRunner({ transport: t, codec, stage: stage as StageDef, registry: new Registry(), log: silent, commitIntervalMs: 10 });
    await runner.start();
    await caughtUp(t);
    expect(stage.openRounds()).toBe(1);
    expect(await rows(t)).toEqual([]);
    const deadline = Date.now() + 5_000;
    while ((await rows(t)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stage.openRounds()).toBe(0);
    await runner.close();
    await stage.close();
    // Decided in a commit of its own partition: a fresh owner restores the round as decided.
    expect(await runSelector(t)).toBe(0);
    const out = await rows(t);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ response_id: verdict("s", 0, 3, "pass").response_id, n_passed: 1 });
    await t.close();
  });

  it("checks selected pairs against the benchmark folder it is given", async () => {
    const t = await open();
    const bench = join(dir, "bench");
    mkdirSync(bench);
    writeFileSync(
      join(bench, "mini.jsonl"),
      JSON.stringify({ task_id: "X/0", prompt: 'def f(x):\n    """Response 0  OF leak"""\n', canonical_solution: "    return x\n" }) + "\n",
    );
    const stage = await createStage(
      { SCA_BENCHMARKS_DIR: bench, SCA_SELECTION_POLICY: "pass-first" },
      { transport: t, codec, log: silent, storeDir: join(dir, "stores") },
    );
    await stage.partitions!.assigned([0]);
    let offset = 0n;
    const pick = async (name: string) => {
      const out = [];
      for (const v of [verdict(name, 0, 2, "pass"), verdict(name, 1, 2, "pass")])
        out.push(...(await stage.process(v, { log: silent, attempt: 1, signal: new AbortController().signal, partition: 0, offset: offset++ })));
      return out.filter((e) => e.topic === "selected").map((e) => (e.value as { response_id: string }).response_id);
    };
    // "response 0 of leak" (any case and spacing) is benchmark text: sample 1 is chosen instead of the first.
    expect(await pick("leak")).toEqual([verdict("leak", 1, 2, "pass").response_id]);
    expect(await pick("clean")).toEqual([verdict("clean", 0, 2, "pass").response_id]);
    await stage.close();
    await t.close();
  });

  it("a forced expiry decides every open round at once (the end of a finite run)", async () => {
    const t = await open();
    await produce(t, [verdict("x", 0, 2, "pass"), verdict("y", 1, 3, "fail")]);
    const stage = await selector(t);
    const runner = new StageRunner({ transport: t, codec, stage: stage as StageDef, registry: new Registry(), log: silent, commitIntervalMs: 10 });
    await runner.start();
    await caughtUp(t);
    expect(await runner.punctuate()).toBe(0);
    stage.expireAll();
    // each decided round: its state, and a dataset row when one passed
    expect(await runner.punctuate()).toBe(3);
    expect(stage.openRounds()).toBe(0);
    await runner.close();
    await stage.close();
    expect((await rows(t)).map((r) => r.response_id)).toEqual([verdict("x", 0, 2, "pass").response_id]);
    await t.close();
  });
});

describe("selector replays", () => {
  it("a re-judgement (same verdict id, later judgement) re-decides; a new policy re-selects", async () => {
    const t = await open();
    await produce(t, [verdict("r", 0, 2, "pass"), verdict("r", 1, 2, "pass")]);
    await runSelector(t);
    const first = (await rows(t)).at(-1)!;
    // The sandbox re-judges with a shorter timeout: the chosen sample now times out.
    const chosen = first.response_id === verdict("r", 0, 2, "pass").response_id ? 0 : 1;
    await produce(t, [verdict("r", chosen, 2, "timeout", { round: 1 }), verdict("r", 1 - chosen, 2, "pass", { round: 1 })]);
    await runSelector(t);
    expect((await rows(t)).at(-1)!.response_id).toBe(verdict("r", 1 - chosen, 2, "pass").response_id);

    // Re-select everything from the beginning under another policy.
    await t.admin().setGroupOffsets(
      "selector",
      [0, 1, 2].map((partition) => ({ topic: "verdicts", partition, offset: "0" })),
    );
    const stage = await selector(t, { SCA_SELECTION_POLICY: "pass-shortest" });
    const runner = new StageRunner({ transport: t, codec, stage: stage as StageDef, registry: new Registry(), log: silent, commitIntervalMs: 10 });
    await runner.start();
    const deadline = Date.now() + 10_000;
    while ((await rows(t)).at(-1)?.selection_policy !== "pass-shortest" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await runner.close();
    await stage.close();
    expect((await rows(t)).at(-1)).toMatchObject({ selection_policy: "pass-shortest", response_id: verdict("r", 1 - chosen, 2, "pass").response_id });
    await t.close();
  });
});
