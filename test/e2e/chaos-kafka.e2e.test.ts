import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetSample } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { SeededRng } from "../../services/llm/rng.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { quietLog } from "../kafka/env.ts";
import { type PrivateBroker, startPrivateBroker } from "../kafka/private-broker.ts";
import { ReplicaFleet } from "./support/replica-fleet.ts";
import { type Row, readRows, runSca } from "./support/sca.ts";
import { SAMPLES, seedsFor, startScriptedLlm } from "./support/scripted-llm.ts";
import type { ScriptedServer } from "../llm/scripted-server.ts";

/** Every sample is produced and judged at once (no slow or garbled ones), so every round completes and no straggler timeout decides. */
const PLANS = ["keep_all", "fail_all", "one_pass", "two_pass"];
const SEEDS = 300;
const STAGES = ["concepts", "instructions", "responses", "verdicts", "selector"];
const MOVES = 20;
const RUN_ID = "chaos-run";
/** The test writes and reads JSON records: a registry the test infra exported must not switch the replicas' or the export's codec. */
const JSON_RECORDS = { SCHEMA_REGISTRY_URL: "" };

/** What a row is, without the moments it was made at. */
const comparable = (r: Row | DatasetSample) => {
  const { created_at: _c, lineage: _l, ...rest } = r as DatasetSample;
  return rest;
};

/**
 * Scale-out under chaos: every stage that produces a topic runs as 2 replicas (the selector
 * included), each its own `sca service` process on a real broker, with the scripted LLM and the
 * bubblewrap sandbox. While 300 seeds flow through, a driver SIGKILLs replicas and starts
 * replacements, adds a third replica of a stage and removes one with SIGTERM: every move is a
 * rebalance. The export must equal, row for row, that of an undisturbed `sca run` of the same seeds.
 * The moves are drawn from a fixed seed; only their timing depends on the machine.
 */
describe("every stage scaled out on Kafka, replicas killed, added and removed mid-stream", () => {
  let dir: string;
  let broker: PrivateBroker;
  let llm: ScriptedServer;
  let fleet: ReplicaFleet | undefined;
  let logDir: string;
  const names = Array.from({ length: SEEDS }, (_, i) => `${PLANS[i % PLANS.length]}__${i}`);
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sca-chaos-"));
    // Kept after the test: what each replica did, for a failure's post-mortem.
    logDir = process.env.SCA_CHAOS_LOGS ?? join(dir, "logs");
    mkdirSync(logDir, { recursive: true });
    [broker, llm] = await Promise.all([startPrivateBroker(), startScriptedLlm({ delayMs: 50 })]);
  }, 120_000);
  afterAll(async () => {
    fleet?.killAllNow();
    await llm?.close();
    await broker?.stop();
    if (!process.env.SCA_KEEP_CHAOS) rmSync(dir, { recursive: true, force: true });
  });

  it(`${SEEDS} seeds, ${STAGES.length} stages x 2 replicas, >= ${MOVES} moves: the same dataset as an undisturbed run`, async () => {
    const seeds = seedsFor(names);
    const seedsFile = join(dir, "seeds.jsonl");
    writeFileSync(seedsFile, seeds.map((s) => JSON.stringify(s)).join("\n") + "\n");

    // The undisturbed run: every stage in one process, same seeds, same LLM, same sandbox, same run id.
    const refState = join(dir, "ref-state");
    mkdirSync(refState);
    writeFileSync(join(refState, "run-id"), RUN_ID + "\n");
    await runSca([
      "run",
      "--seeds",
      seedsFile,
      "--limit",
      String(SEEDS),
      "--samples",
      String(SAMPLES),
      "--state",
      refState,
      "--out",
      join(dir, "ref-out"),
      "--llm-base-url",
      llm.url,
      "--llm-model",
      "scripted",
      "--sandbox",
      "bwrap",
      "--progress",
      "none",
    ]);
    const reference = readRows(join(dir, "ref-out"));
    expect(reference.length).toBe(names.filter((n) => !n.startsWith("fail_all")).length);

    const t = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    const codec = new JsonCodec();
    try {
      await t
        .admin()
        .createTopics(
          allTopicSpecs().map((s) => ({ name: s.name, partitions: Math.min(s.partitions, 4), compacted: s.compacted, retentionMs: s.retentionMs })),
        );
      fleet = new ReplicaFleet(
        {
          SCA_TRANSPORT: "kafka",
          KAFKA_BROKERS: broker.brokers.join(","),
          ...JSON_RECORDS,
          SCA_STATE_DIR: join(dir, "replicas"),
          SCA_RUN_ID: RUN_ID,
          SCA_RESPONSES_SAMPLES: String(SAMPLES),
          LLM_BASE_URL: llm.url,
          LLM_MODEL: "scripted",
          SCA_SANDBOX_BACKEND: "bwrap",
          SCA_SANDBOX_CONCURRENCY: "2",
          SCA_CONCURRENCY: "8",
          SCA_SHUTDOWN_TIMEOUT_MS: "5000",
          LOG_LEVEL: "info",
          SCA_KAFKA_LOG_LEVEL: "warn",
        },
        logDir,
      );
      for (const stage of STAGES) for (let i = 0; i < 2; i++) await fleet.start(stage);
      // Curation reads `selected`, one partition by design (its index is global): one replica, not moved.
      await fleet.start("curation");

      // Seeds arrive over a minute, so that the moves fall while every stage has work.
      const producer = await t.producer();
      const feeding = (async () => {
        for (let i = 0; i < seeds.length; i += 10) {
          await producer.send(seeds.slice(i, i + 10).map((s) => ({ topic: "seeds", key: s.id, value: codec.encode("seeds", s) as Buffer })));
          await sleep(2_000);
        }
      })();

      const rng = new SeededRng("chaos", 14);
      while (fleet.moves.length < MOVES) {
        await sleep(rng.int(1_500, 4_000));
        const stage = rng.pick(STAGES);
        const kind = rng.pick(["kill", "kill", "add", "remove"] as const);
        const replicas = fleet.replicas(stage);
        // A scale-in takes a ready replica, as a Deployment scales in: one still starting (node and
        // tsx take seconds here) has nothing to stop cleanly.
        const started = kind === "remove" ? await fleet.ready(stage) : [];
        if (kind === "add" && replicas.length < 3) await fleet.add(stage);
        else if (kind === "remove" && replicas.length > 1 && started.length > 0) await fleet.remove(rng.pick(started));
        else if (replicas.length > 0) await fleet.killAndReplace(rng.pick(replicas));
      }
      await feeding;
      await producer.close();

      // Drained: the dataset topic has every expected instruction, and stays so.
      const deadline = Date.now() + 240_000;
      let records: DatasetSample[] = [];
      for (;;) {
        records = [];
        await readTopic(t, "dataset", (r) => void records.push(DatasetSample.parse(JSON.parse(r.value.toString()))));
        if (new Set(records.map((r) => r.instruction_id)).size >= reference.length) break;
        if (Date.now() > deadline) {
          const lags = [];
          for (const [group, topic] of [
            ["concepts", "seeds"],
            ["instructions", "concepts"],
            ["responses", "instructions"],
            ["verdicts", "responses"],
            ["selector", "verdicts"],
            ["curation", "selected"],
          ]) {
            const committed = new Map((await t.admin().groupOffsets(group, topic)).map((o) => [o.partition, o.offset]));
            lags.push(
              `${group}: ${(await t.admin().describeTopic(topic)).map((p) => `${p.partition}:${committed.get(p.partition) ?? "-"}/${p.high}`).join(" ")}`,
            );
          }
          throw new Error(
            `only ${records.length} of ${reference.length} dataset records after the moves ${fleet.moves.join(", ")}; committed/high: ${lags.join("; ")}; crashed: ${fleet.crashed.join(" | ")}; logs in ${logDir}`,
          );
        }
        await sleep(2_000);
      }
      await sleep(5_000);
      const moves = [...fleet.moves];
      expect(moves.length).toBeGreaterThanOrEqual(MOVES);
      await fleet.stopAll();
      expect(fleet.crashed, fleet.crashed.join("\n")).toEqual([]);

      // Exactly once: one dataset record per instruction in the topic itself, not only after the export's dedup.
      records = [];
      const at: string[] = [];
      await readTopic(t, "dataset", (r) => {
        records.push(DatasetSample.parse(JSON.parse(r.value.toString())));
        at.push(`${r.partition}@${r.offset}`);
      });
      // Says whether extra records are the reader's (one offset twice) or the topic's (one instruction at two offsets).
      const offsetsOf = new Map<string, string[]>();
      records.forEach((r, i) => offsetsOf.set(r.instruction_id, [...(offsetsOf.get(r.instruction_id) ?? []), at[i]]));
      const twice = [...offsetsOf].filter(([, o]) => o.length > 1).map(([id, o]) => `${id}: ${o.join(" ")}`);
      expect(records.length, `${new Set(at).size} distinct offsets; instructions at more than one: ${twice.slice(0, 10).join("; ")}`).toBe(reference.length);

      await runSca(["export", "--out", join(dir, "chaos-out"), "--transport", "kafka", "--brokers", broker.brokers.join(",")], JSON_RECORDS);
      const exported = readRows(join(dir, "chaos-out"));
      const byInstruction = (rows: Row[]) => rows.map(comparable).sort((a, b) => a.instruction_id.localeCompare(b.instruction_id));
      expect(byInstruction(exported)).toEqual(byInstruction(reference));
      for (const r of exported) expect(r.response).toContain("(PASSES)");
      console.log(`chaos: ${moves.length} moves: ${moves.join(", ")}`);
    } finally {
      await t.close();
    }
  }, 900_000);
});
