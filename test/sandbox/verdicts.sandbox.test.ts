import { Registry } from "prom-client";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId } from "../../schemas/common.ts";
import { type Response, Verdict } from "../../schemas/records.ts";
import { isPoison } from "../../services/runtime/errors.ts";
import type { StageContext } from "../../services/runtime/stage.ts";
import { deadLetterOf } from "../runtime/support/dead-letter-of.ts";
import { addResponse, fenced } from "./add-response.ts";
import { createSandbox, type Sandbox } from "../../services/sandbox/index.ts";
import { createStage, type VerdictsStage } from "../../services/stages/verdicts/stage.ts";

const instruction_id = contentId({ parent: "task", stage: "instructions" });

const response = (i: number, raw: string): Response => addResponse(instruction_id, i, 3, raw);

const ctx: StageContext = { log: pino({ level: "silent" }), attempt: 1, signal: new AbortController().signal };

describe("verdicts stage (real sandbox, backend picked from the environment)", () => {
  let sandbox: Sandbox;
  let stage: VerdictsStage;
  const registry = new Registry();

  beforeAll(async () => {
    sandbox = await createSandbox({ concurrency: 2, limits: { timeoutSeconds: 3 } });
    stage = await createStage({}, { sandbox, registry });
  });
  afterAll(() => stage?.close());

  it("emits one verdict per response, keyed by instruction id, with the sandbox in its lineage", async () => {
    const r = response(0, fenced("def add(a, b):\n    return a + b\n", "assert add(2, 3) == 5\n"));
    const out = await stage.process(r, ctx);
    expect(out).toHaveLength(1);
    expect(out[0].topic).toBe("verdicts");
    expect(out[0].key).toBe(instruction_id);
    const v = Verdict.parse(out[0].value);
    expect(v.status).toBe("pass");
    expect(v.tampering).toEqual([]);
    expect(v.response_id).toBe(r.id);
    expect(v.response).toEqual(r);
    expect(v.backend).toBe(sandbox.backend);
    expect(v.lineage.sandbox_image).toBe(sandbox.image);
    expect(v.lineage.run_id).toBe("run-1");
    // Same response, same image: same id (re-judging is detectable downstream).
    const again = Verdict.parse((await stage.process(r, ctx))[0].value);
    expect(again.id).toBe(v.id);
    expect(await registry.getSingleMetricAsString("sca_verdicts_total")).toContain('status="pass"');
  });

  it("fails a response whose own tests fail", async () => {
    const v = Verdict.parse((await stage.process(response(1, fenced("def add(a, b):\n    return a - b\n", "assert add(2, 3) == 5\n")), ctx))[0].value);
    expect(v.status).toBe("fail");
    expect(v.stderr_tail).toContain("AssertionError");
  });

  it("fails a response that tries to forge its completion, says what it tried, and counts it per model", async () => {
    const forge = "import gc\nmarker = [o for o in gc.get_objects() if callable(o) and getattr(o, '__name__', '') == 'complete']\n";
    const v = Verdict.parse((await stage.process(response(3, fenced(forge, "assert False\n")), ctx))[0].value);
    expect(v.status).toBe("fail");
    expect(v.tampering).toEqual(["gc"]);
    expect(await registry.getSingleMetricAsString("sca_verdict_tampering_total")).toContain('sca_verdict_tampering_total{kind="gc",model="m"} 1');
  });

  it("strips the __main__ tail of a block reading input, as the reference does", async () => {
    const impl = "def add(a, b):\n    return a + b\n\nif __name__ == '__main__':\n    print(add(int(input()), 1))\n";
    const v = Verdict.parse((await stage.process(response(2, fenced(impl, "assert add(2, 3) == 5\n")), ctx))[0].value);
    expect(v.status).toBe("pass");
  });

  it("sends a record that is not a Response to the DLQ", async () => {
    // The runner decodes and validates the input once; the stage never sees an invalid one.
    await expect(deadLetterOf(stage, { id: "nope" })).resolves.toMatchObject({ stage: "verdicts", reason: "schema_invalid" });
  });

  it("retries a sandbox error (throws a transient error) instead of emitting it", async () => {
    const closed = await createSandbox({ concurrency: 1 });
    await closed.close();
    const broken = await createStage({}, { sandbox: closed, registry: new Registry() });
    const err = await broken.process(response(0, fenced("x = 1\n", "assert x == 1\n")), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isPoison(err)).toBe(false);
    expect((err as Error).message).toMatch(/sandbox error/);
  });

  it("rejects bad sandbox settings naming the variable and value", async () => {
    await expect(createStage({ SCA_SANDBOX_TIMEOUT: "ten" })).rejects.toThrow(/SCA_SANDBOX_TIMEOUT="ten"/);
  });
});
