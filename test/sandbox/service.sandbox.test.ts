import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId, SCHEMA_VERSION } from "../../schemas/common.ts";
import { DlqEnvelope, Response, Verdict } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../services/runtime/runner.ts";
import { loadStageModule } from "../../services/runtime/stage-loader.ts";
import type { StageDef } from "../../services/runtime/stage.ts";
import { drain, until } from "../runtime/support/drain.ts";

// The verdicts stage as `sca service verdicts` loads it (services/stages/verdicts/stage.ts by convention), on
// the real runner and the embedded log, with a real bwrap sandbox.
const dir = mkdtempSync(join(tmpdir(), "sca-verdicts-service-"));
let transport: EmbeddedTransport;
let runner: StageRunner;
let stage: StageDef & { close?: () => Promise<void> };

function response(task: string, i: number, impl: string, tests: string): Response {
  const instruction_id = contentId({ parent: task, stage: "instructions" });
  const raw = `Done.\n\`\`\`python\n${impl}\`\`\`\n</response>\n\n<tests>\n\`\`\`python\n${tests}\`\`\`\n`;
  return Response.parse({
    id: contentId({ parent: instruction_id, stage: "responses", sample: i }),
    instruction_id,
    sample_index: i,
    n_samples: 2,
    instruction: `Task ${task}.`,
    seed: { seed_id: contentId({ parent: task, stage: "seeds" }), seed: "def f():\n    return 1\n", path: "f.py", repo: "r", license: "MIT" },
    concepts: ["c"],
    category: "function implementation",
    difficulty: "medium",
    response: raw,
    code: "",
    tests: "",
    raw,
    finish_reason: "stop",
    lineage: { run_id: "svc", schema_version: SCHEMA_VERSION, created_at: "2026-01-01T00:00:00.000Z" },
  });
}

const inputs = [
  response("a", 0, "def f():\n    return 1\n", "assert f() == 1\n"),
  response("a", 1, "def f():\n    return 2\n", "assert f() == 1\n"),
  response("b", 0, "import os\ndef f():\n    os._exit(0)\n", "f()\nassert False\n"),
  response("b", 1, "def f():\n    while True:\n        pass\n", "f()\n"),
];
const expected = ["pass", "fail", "fail", "timeout"];

beforeAll(async () => {
  transport = EmbeddedTransport.open(dir, { fsync: false });
  await transport.admin().createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: Math.min(t.partitions, 2) })));
  stage = await (await loadStageModule("verdicts")).createStage(
    { SCA_SANDBOX_BACKEND: "bwrap", SCA_SANDBOX_CONCURRENCY: "2", SCA_SANDBOX_TIMEOUT: "2" },
    { transport, codec: new JsonCodec(), registry: new Registry(), log: pino({ level: "silent" }), storeDir: dir },
  );
  runner = new StageRunner({
    transport,
    codec: new JsonCodec(),
    stage,
    registry: new Registry(),
    log: pino({ level: "silent" }),
    commitIntervalMs: 20,
    lagIntervalMs: 200,
  });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.close();
  await stage?.close?.();
  await transport?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("verdicts service on the runner", () => {
  it("turns every response into exactly one verdict keyed by instruction id; garbage goes to the DLQ", async () => {
    const p = await transport.producer();
    await p.send([
      ...inputs.map((r) => ({ topic: "responses", key: r.instruction_id, value: Buffer.from(JSON.stringify(r)) })),
      { topic: "responses", key: "junk", value: Buffer.from("{not json") },
    ]);
    await p.close();

    const out = (await drain(transport, "verdicts", { min: inputs.length, quietMs: 500, timeoutMs: 60_000 })).map((r) => ({
      key: r.key,
      v: Verdict.parse(JSON.parse(r.value.toString())),
    }));
    expect(out).toHaveLength(inputs.length);
    inputs.forEach((r, i) => {
      const mine = out.filter((o) => o.v.response_id === r.id);
      expect(mine, `response ${i}`).toHaveLength(1);
      expect(mine[0].key).toBe(r.instruction_id);
      expect(mine[0].v.status, `response ${i}`).toBe(expected[i]);
      expect(mine[0].v.backend).toBe("bwrap");
    });
    await until(async () => (await drain(transport, "responses.dlq", { min: 0, quietMs: 200 })).length > 0, "the junk record in the DLQ", 30_000);
    const dlq = (await drain(transport, "responses.dlq", { min: 1, quietMs: 200 })).map((r) => DlqEnvelope.parse(JSON.parse(r.value.toString())));
    expect(dlq).toHaveLength(1);
    expect(dlq[0].key).toBe("junk");
  }, 120_000);
});
