import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SelectedPair, SelectorState } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import { createStage } from "../../services/stages/selector/stage.ts";
import { type PrivateBroker, startPrivateBroker } from "../kafka/private-broker.ts";
import { quietLog } from "../kafka/env.ts";
import { verdict } from "./fixtures.ts";

const silent = pino({ level: "silent" });
const codec = new JsonCodec();

/**
 * The selector's changelog on a real broker. A private one: the catalogue's topic names are fixed,
 * and the shared broker serves other test files at the same time.
 */
describe("selector on Kafka", () => {
  let broker: PrivateBroker;
  // One machine's disk across the "processes" below: the second restores from its checkpoint.
  const storeDir = mkdtempSync(join(tmpdir(), "sca-selector-stores-"));
  beforeAll(async () => {
    broker = await startPrivateBroker();
    const t = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: 3 })));
    await t.close();
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const produce = async (vs: ReturnType<typeof verdict>[]) => {
    const t = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    const p = await t.producer();
    await p.send(await Promise.all(vs.map(async (v) => ({ topic: "verdicts", key: v.instruction_id, value: await codec.encode("verdicts", v) }))));
    await p.close();
    await t.close();
  };

  /** One selector process: restore, consume until every verdict is committed, stop. */
  const selectorProcess = async (): Promise<number> => {
    const t = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    const stage = await createStage({}, { transport: t, codec, log: silent, isContaminated: () => false, storeDir });
    const runner = new StageRunner({ transport: t, codec, stage: stage as StageDef, registry: new Registry(), log: silent, commitIntervalMs: 20 });
    await runner.start();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const highs = await t.admin().describeTopic("verdicts");
      const committed = await t.admin().groupOffsets("selector", "verdicts");
      if (highs.every((h) => h.high === "0" || committed.find((c) => c.partition === h.partition)?.offset === h.high)) break;
      if (Date.now() > deadline) throw new Error("the selector did not commit every verdict within 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const open = stage.openRounds();
    await runner.close();
    await stage.close();
    await t.close();
    return open;
  };

  it("restores a half-aggregated round from the transactional changelog and emits each row once", async () => {
    await produce([verdict("a", 0, 3, "fail"), verdict("a", 1, 3, "pass"), verdict("b", 0, 2, "pass"), verdict("b", 1, 2, "fail")]);
    expect(await selectorProcess()).toBe(1);
    await produce([verdict("a", 2, 3, "fail")]);
    expect(await selectorProcess()).toBe(0);

    const t = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    const rows: SelectedPair[] = [];
    await readTopic(t, "selected", (r) => void rows.push(SelectedPair.parse(JSON.parse(r.value.toString()))));
    const states = new Map<string, SelectorState>();
    await readTopic(t, "selector.state", (r) => void states.set(r.key!, SelectorState.parse(JSON.parse(r.value.toString()))));
    await t.close();
    expect(rows.map((r) => r.response_id).sort()).toEqual([verdict("a", 1, 3, "pass").response_id, verdict("b", 0, 2, "pass").response_id].sort());
    expect(states.get(verdict("a", 0, 3, "fail").instruction_id)).toMatchObject({
      pending: [],
      last_decision: { outcome: "selected", n_passed: 1, complete: true },
    });
  });
});
