import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CurationState, DatasetSample, type SelectedPair } from "../../schemas/records.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import type { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { compact, materialize } from "../../services/stages/sink/materialize.ts";
import { curationFunnel } from "../../services/stages/sink/stats.ts";
import { fillerSpecs, fixedCases, idOf, pair } from "./pairs.ts";
import { openLog, runCuration } from "./run-curation.ts";

const codec = new JsonCodec();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sca-curation-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cases = fixedCases();
const expectedFates = Object.fromEntries(cases.map((c) => [idOf(c.spec.n), c.fate]));
const expectedDrops = cases.filter((c) => c.fate !== "kept").reduce<Record<string, number>>((m, c) => ({ ...m, [c.fate]: (m[c.fate] ?? 0) + 1 }), {});

/** The fixed pairs in an order unlike their ids, with a late smaller-id duplicate and a retraction on the way. */
function stream(fillers = 0): SelectedPair[] {
  const fixed = cases.map((c) => pair(c.spec)).reverse();
  const displacer = { ...cases[9].spec, n: 0 };
  return [...fixed.slice(0, 10), pair(displacer), ...fixed.slice(10), ...fillerSpecs(fillers, 1000).map((s) => pair(s)), pair(displacer, { retracted: true })];
}

async function produce(t: EmbeddedTransport, pairs: SelectedPair[]): Promise<void> {
  const p = await t.producer();
  for (let i = 0; i < pairs.length; i += 200) {
    await p.send(
      await Promise.all(pairs.slice(i, i + 200).map(async (x) => ({ topic: "selected", key: x.instruction_id, value: await codec.encode("selected", x) }))),
    );
  }
}

async function outcome(t: EmbeddedTransport) {
  const states = new Map<string, CurationState>();
  await readTopic(t, "curation.state", (r) => void states.set(r.key!, CurationState.parse(JSON.parse(r.value.toString()))));
  const records: DatasetSample[] = [];
  await readTopic(t, "dataset", (r) => void records.push(DatasetSample.parse(JSON.parse(r.value.toString()))));
  const fates = Object.fromEntries([...states.values()].map((s) => [s.instruction_id, s.status === "dropped" ? s.rule : s.status]));
  const exported = materialize([], records)
    .map((r) => r.instruction_id)
    .sort();
  const compacted = compact(records)
    .filter((r) => !r.retracted)
    .map((r) => r.instruction_id)
    .sort();
  return { states: [...states.values()], fates, exported, compacted };
}

const fixedOnly = (fates: Record<string, unknown>) => Object.fromEntries(Object.entries(fates).filter(([id]) => id in expectedFates || id === idOf(0)));

describe("curation stage on the embedded log", () => {
  it("decides every fixed pair's fate and counts the funnel; a replay from the beginning ends the same", async () => {
    const t = await openLog(dir);
    await produce(t, stream());
    const registry = new Registry();
    await runCuration(t, { registry });
    const first = await outcome(t);
    expect(first.fates).toEqual({ ...expectedFates, [idOf(0)]: "retracted" });
    const kept = cases
      .filter((c) => c.fate === "kept")
      .map((c) => idOf(c.spec.n))
      .sort();
    expect(first.exported).toEqual(kept);
    expect(first.compacted).toEqual(kept);
    const funnel = curationFunnel(first.states);
    expect(funnel).toMatchObject({ kept: kept.length, retracted: 1, dropped: expectedDrops });
    // The displaced pair (10) was dropped once as exact_instruction before the retraction brought it back.
    const counted = Object.fromEntries(
      (await registry.getSingleMetric("sca_curation_dropped_total")!.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.rule, v.value]),
    );
    expect(counted).toEqual({ ...expectedDrops, exact_instruction: expectedDrops.exact_instruction + 1 });

    await t.admin().setGroupOffsets("curation", [{ topic: "selected", partition: 0, offset: "0" }]);
    const again = new Registry();
    await runCuration(t, { registry: again });
    const replayed = await outcome(t);
    expect(replayed.fates).toEqual(first.fates);
    expect(replayed.exported).toEqual(first.exported);
    // The log is re-enacted: the late duplicate displaces its twin again until its retraction comes again.
    const recounted = Object.fromEntries(
      (await again.getSingleMetric("sca_curation_dropped_total")!.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.rule, v.value]),
    );
    expect(recounted).toEqual({ exact_instruction: 1 });
    await t.close();
  });

  it("killed with SIGKILL mid-way and restarted, ends with the same fates and dataset as an uninterrupted run", async () => {
    const pairs = stream(1500);
    const clean = await openLog(join(dir, "clean"));
    await produce(clean, pairs);
    await runCuration(clean);
    const want = await outcome(clean);
    await clean.close();

    const killedDir = join(dir, "killed");
    const t0 = await openLog(killedDir);
    await produce(t0, pairs);
    await t0.close();
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "run-curation.ts"), killedDir], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killedAt = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        const offsets = [...d.toString().matchAll(/committed (\d+)/g)].map((m) => Number(m[1]));
        const at = offsets.at(-1) ?? 0;
        if (at >= 100) {
          child.kill("SIGKILL");
          resolve(at);
        }
      });
      child.on("exit", (code) => reject(new Error(`curation process exited (${code}) before the kill:\n${stderr}`)));
    });
    await new Promise((r) => child.once("close", r));
    expect(killedAt).toBeLessThan(pairs.length);

    const t = await openLog(killedDir);
    await runCuration(t);
    const got = await outcome(t);
    expect(fixedOnly(got.fates)).toEqual({ ...expectedFates, [idOf(0)]: "retracted" });
    expect(got.fates).toEqual(want.fates);
    expect(got.exported).toEqual(want.exported);
    expect(got.compacted).toEqual(want.compacted);
    expect(curationFunnel(got.states)).toEqual(curationFunnel(want.states));
    await t.close();
  }, 120_000);
});
