import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatasetSample } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { verdict } from "../selector/fixtures.ts";
import { sample } from "../sink/rows.ts";
import { until } from "./support/drain.ts";
import { type Child, spawnTs } from "./support/killer.ts";

const dir = mkdtempSync(join(tmpdir(), "sca-service-stages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const codec = new JsonCodec();

/** `sca service <stage>` on the embedded log in `stateDir`, until its /metrics shows `done`; then SIGTERM. */
async function serveUntil(stage: string, stateDir: string, env: NodeJS.ProcessEnv, done: (metrics: string) => boolean): Promise<void> {
  let port = 0;
  const child: Child = spawnTs(
    ["bin/sca.js", "service", stage, "--transport", "embedded", "--state-dir", stateDir, "--metrics-port", "0"],
    { ...process.env, SCA_INSTANCE_ID: `${stage}-test`, ...env },
    (line) => {
      const entry = JSON.parse(line) as { msg: string; port?: number };
      if (entry.msg === "health server listening") port = entry.port!;
    },
  );
  try {
    await until(() => port > 0 || child.proc.exitCode !== null, "the health server", 120_000);
    expect(child.proc.exitCode, child.stderrTail()).toBeNull();
    await until(async () => done(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), `${stage} done`, 60_000);
    child.proc.kill("SIGTERM");
    expect(await child.exited, child.stderrTail()).toBe(0);
  } finally {
    child.proc.kill("SIGKILL");
  }
}

async function prepare(stateDir: string, topic: string, records: Array<{ key: string; value: unknown }>): Promise<void> {
  const t = EmbeddedTransport.open(join(stateDir, "log"));
  await t.admin().createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: Math.min(s.partitions, 3) })));
  const p = await t.producer();
  await p.send(records.map((r) => ({ topic, key: r.key, value: codec.encode(topic, r.value) as Buffer })));
  await t.close();
}

describe("sca service on the embedded log", () => {
  it("runs the selector: its state store restores through the service's own transport", async () => {
    const stateDir = join(dir, "selector");
    const vs = [verdict("a", 0, 2, "pass"), verdict("a", 1, 2, "fail"), verdict("b", 0, 2, "fail"), verdict("b", 1, 2, "fail"), verdict("c", 0, 2, "pass")];
    await prepare(
      stateDir,
      "verdicts",
      vs.map((v) => ({ key: v.instruction_id, value: v })),
    );
    const bench = join(dir, "benchmarks");
    mkdirSync(bench);
    writeFileSync(join(bench, "mini.jsonl"), JSON.stringify({ task_id: "X/0", prompt: "def unrelated():\n", canonical_solution: "    return 0\n" }) + "\n");
    await serveUntil("selector", stateDir, { SCA_BENCHMARKS_DIR: bench }, (m) =>
      m.includes('sca_records_out_total{stage="selector",topic="selector.state"} 5'),
    );
    // A second service finds c's half round on disk and in the changelog, and completes it.
    const t = EmbeddedTransport.open(join(stateDir, "log"));
    await (await t.producer()).send([
      { topic: "verdicts", key: verdict("c", 1, 2, "fail").instruction_id, value: codec.encode("verdicts", verdict("c", 1, 2, "fail")) as Buffer },
    ]);
    await t.close();
    await serveUntil("selector", stateDir, { SCA_BENCHMARKS_DIR: bench }, (m) => m.includes('sca_records_out_total{stage="selector",topic="selected"} 1'));

    const log = EmbeddedTransport.open(join(stateDir, "log"));
    try {
      const rows: DatasetSample[] = [];
      await readTopic(log, "selected", (r) => void rows.push(DatasetSample.parse(JSON.parse(r.value.toString()))));
      expect(rows.map((r) => r.response_id).sort()).toEqual([verdict("a", 0, 2, "pass").response_id, verdict("c", 0, 2, "pass").response_id].sort());
      const committed = await log.admin().groupOffsets("selector", "verdicts");
      expect(committed.reduce((n, o) => n + Number(o.offset), 0)).toBe(6);
    } finally {
      await log.close();
    }
  }, 300_000);

  it("runs the sink, and on SIGTERM writes its final dataset card", async () => {
    const stateDir = join(dir, "sink");
    const out = join(dir, "sink-out");
    const samples = ["x", "y", "z"].map((n) => sample(n));
    await prepare(
      stateDir,
      "dataset",
      samples.map((s) => ({ key: s.instruction_id, value: s })),
    );
    // The periodic refresh is far away: only the stop can bring the card up to date.
    await serveUntil(
      "sink",
      stateDir,
      { SCA_OUT_DIR: out, SCA_SINK_FLUSH_MS: "100", SCA_CARD_REFRESH_MS: "3600000" },
      (m) =>
        m.includes('sca_records_in_total{stage="sink"} 3') && m.includes('sca_commits_total{stage="sink"} ') && !m.includes('sca_in_flight{stage="sink"} 3'),
    );
    expect(readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
    const card = readFileSync(join(out, "README.md"), "utf8");
    expect(card).toContain("**3 rows**");
    // With the host's transport the card has the funnel, which an embedded sink used to lack.
    expect(card).toMatch(/\| exported rows \| 3 \|/);
  }, 300_000);
});
