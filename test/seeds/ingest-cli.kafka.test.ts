import { execFile } from "node:child_process";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Seed } from "../../schemas/records.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { type Codec, JsonCodec } from "../../services/runtime/codec.ts";
import { buildCodec, loadRuntimeConfig } from "../../services/runtime/config.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { openCorpus } from "../../services/seeds/corpus.ts";
import type { Transport } from "../../services/runtime/transport.ts";
import { kafkaBrokers } from "../kafka/env.ts";
import { pythonExe, runIngest, stdlibDir, tempDir } from "./helpers.ts";

const run = promisify(execFile);
const SCA = resolve(import.meta.dirname, "..", "..", "bin", "sca.js");

async function sca(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [SCA, ...args], { env: { ...process.env, SCA_PYTHON: pythonExe(), ...env }, maxBuffer: 1 << 26 });
}

function smallCorpus(): string {
  const dir = tempDir("cli-corpus");
  for (const f of ["textwrap.py", "colorsys.py", "fnmatch.py", "heapq.py", "bisect.py", "shlex.py", "base64.py", "statistics.py"])
    cpSync(join(stdlibDir(), f), join(dir, f));
  return dir;
}

/** The seeds of one run in the topic, decoded (and validated) by the codec the CLI used. */
async function seedsIn(transport: Transport, codec: Codec, runId: string) {
  const raw: Buffer[] = [];
  await readTopic(transport, "seeds", (r) => raw.push(r.value));
  const seeds: Seed[] = [];
  for (const v of raw) {
    const s = Seed.parse(await codec.decode("seeds", v));
    if (s.lineage.run_id === runId) seeds.push(s);
  }
  return seeds;
}

describe("sca ingest", () => {
  it("writes verbatim seeds to JSONL with the Pyright check, prints the funnel as JSON, and emits nothing new the second time", async () => {
    const corpus = smallCorpus();
    const work = tempDir("cli");
    const out = join(work, "seeds.jsonl");
    const args = ["ingest", corpus, "--output", out, "--state-dir", work, "--stats", "--json"];
    const first = await sca(args);
    const funnel = JSON.parse(first.stdout) as { rows: Array<{ step: string; count: number }> };
    const count = (step: string) => funnel.rows.find((r) => r.step === step)?.count;
    expect(count("files")).toBe(8);
    expect(count("typecheck")).toBeGreaterThan(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines.length).toBe(count("seeds"));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      const raw = JSON.parse(line) as Record<string, unknown>;
      for (const k of ["id", "code", "standalone", "name", "path", "start_line", "end_line", "repo", "license"]) expect(raw, k).toHaveProperty(k);
      const s = Seed.parse(raw);
      const source = readFileSync(join(corpus, s.path), "utf8").split("\n");
      expect(
        source
          .slice(s.start_line - 1, s.end_line)
          .join("\n")
          .includes(s.code),
        `${s.path}:${s.start_line}`,
      ).toBe(true);
      expect(source[s.start_line - 1].trimStart().startsWith(s.code.split("\n")[0])).toBe(true);
    }
    expect(existsSync(join(work, "seeds-dedup", "seeds.jsonl"))).toBe(true);

    const second = await sca(args);
    const again = JSON.parse(second.stdout) as { rows: Array<{ step: string; count: number }> };
    expect(again.rows.find((r) => r.step === "seeds")?.count).toBe(0);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(lines.length);
    expect(second.stderr).toMatch(/0 new seeds/);
  });

  it("stops at --limit, printing the funnel table; the next run emits the rest", async () => {
    const corpus = smallCorpus();
    const work = tempDir("cli-limit");
    const limited = await sca(["ingest", corpus, "--output", join(work, "seeds.jsonl"), "--state-dir", work, "--no-typecheck", "--limit", "3", "--stats"]);
    expect(limited.stdout).toMatch(/^step +count +% of prev/);
    expect(limited.stdout).toMatch(/\nseeds +3 /);
    const firstIds = readFileSync(join(work, "seeds.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => Seed.parse(JSON.parse(l)).id);
    const rest = await runIngest([corpus], { dedupDir: join(work, "seeds-dedup") });
    const once = await runIngest([corpus], { dedupDir: tempDir("fresh") });
    expect([...firstIds, ...rest.seeds.map((s) => s.id)]).toEqual(once.seeds.map((s) => s.id));
  });

  it("rejects bad options naming the flag and the value", async () => {
    await expect(sca(["ingest", "--limit", "0", "--output", "/dev/null"])).rejects.toMatchObject({ stderr: expect.stringMatching(/limit: .*got "0"/) });
    expect(() => openCorpus(["/nonexistent/corpus"])).toThrow(/"\/nonexistent\/corpus" does not exist/);
  });

  it("publishes to the seeds topic of the embedded log", async () => {
    const work = tempDir("cli-embedded");
    const r = await sca(["ingest", smallCorpus(), "--no-typecheck", "--transport", "embedded", "--state-dir", work, "--run-id", "embedded-run"]);
    const emitted = Number(/(\d+) new seeds/.exec(r.stderr)?.[1]);
    expect(emitted).toBeGreaterThanOrEqual(5);
    const t = await EmbeddedTransport.open(join(work, "log"));
    try {
      const seeds = await seedsIn(t, new JsonCodec(), "embedded-run");
      expect(seeds).toHaveLength(emitted);
    } finally {
      await t.close();
    }
  });

  it("publishes to the seeds topic of a real Kafka broker", async () => {
    const brokers = kafkaBrokers().join(",");
    const work = tempDir("cli-kafka");
    const runId = `kafka-run-${Date.now()}`;
    const r = await sca(["ingest", smallCorpus(), "--no-typecheck", "--transport", "kafka", "--brokers", brokers, "--state-dir", work, "--run-id", runId]);
    const emitted = Number(/(\d+) new seeds/.exec(r.stderr)?.[1]);
    expect(emitted).toBeGreaterThanOrEqual(5);
    const t = new KafkaTransport({ brokers: kafkaBrokers() });
    // the registry's wire format when the environment names a registry, as the CLI saw it
    const codec = await buildCodec(loadRuntimeConfig(process.env, { transport: "kafka", brokers }));
    try {
      const seeds = await seedsIn(t, codec, runId);
      expect(seeds).toHaveLength(emitted);
      expect(new Set(seeds.map((s) => s.id)).size).toBe(emitted);
    } finally {
      await t.close();
    }
  });
});
