import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { Concepts } from "../../schemas/records.ts";
import { createStage } from "../../services/stages/concepts/stage.ts";
import { PoisonError } from "../../services/runtime/errors.ts";
import { BAD, ctx, GOOD, kit, metricValue, seed } from "../llm/support.ts";
import { deadLetterOf } from "../runtime/support/dead-letter-of.ts";
import { startScriptedServer, type ScriptedServer } from "../llm/scripted-server.ts";

let srv: ScriptedServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe("concepts stage (S→C) against a real HTTP server", () => {
  it("turns a seed into one Concepts record keyed by seed id, with the reference's sampling and full lineage", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: GOOD.concepts(0) }) });
    const stage = await createStage({}, { kit: kit("concepts", srv.url) });
    expect(stage).toMatchObject({ name: "concepts", input: "seeds", outputs: ["concepts"] });
    const s = seed(1);
    const [out, ...rest] = await stage.process(s, ctx());
    expect(rest).toEqual([]);
    expect(out.topic).toBe("concepts");
    expect(out.key).toBe(s.id);
    const c = Concepts.parse(out.value);
    expect(c.concepts).toEqual(["generator expressions", "summation", "numeric iteration"]);
    expect(c.seed).toMatchObject({ seed_id: s.id, seed: s.standalone, path: s.path, repo: s.repo, license: s.license });
    expect(c.lineage).toMatchObject({ run_id: "run-1", model: "test-model", sampling: { temperature: 0.7, max_tokens: 1536, n: 1, stop: ["## Example"] } });
    expect(c.lineage.prompt_hash).toMatch(/^sca-prompts-v2:/);
    const body = srv.requests[0].body;
    expect(body).toMatchObject({ model: "test-model", n: 1, temperature: 0.7, max_tokens: 1536, stop: ["## Example"], seed: c.lineage.sampling?.seed });
    expect(String(body.prompt).match(/^## Example \d+$/gm)).toHaveLength(9);
    expect(String(body.prompt)).toContain(s.standalone.trim());
  });

  it("gives the same id and the same prompt when the same seed is processed again, a different id under another model", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: GOOD.concepts(0) }) });
    const a = await (await createStage({}, { kit: kit("concepts", srv.url) })).process(seed(2), ctx());
    const b = await (await createStage({}, { kit: kit("concepts", srv.url) })).process(seed(2), ctx());
    const c = await (await createStage({}, { kit: kit("concepts", srv.url, { LLM_MODEL: "other" }) })).process(seed(2), ctx());
    expect((a[0].value as Concepts).id).toBe((b[0].value as Concepts).id);
    expect((c[0].value as Concepts).id).not.toBe((a[0].value as Concepts).id);
    expect(srv.requests[0].body.prompt).toBe(srv.requests[1].body.prompt);
  });

  it("sends unparsable output to the DLQ as a PoisonError carrying the raw completion, and counts it by reason", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: BAD.concepts }) });
    const reg = new Registry();
    const stage = await createStage({}, { kit: kit("concepts", srv.url, {}, reg) });
    const err = await stage.process(seed(3), ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoisonError);
    expect(err).toMatchObject({ reason: "unparsable_output", detail: { reason: "empty_concepts", raw: BAD.concepts } });
    expect(await metricValue(reg, "sca_llm_parse_failures_total", { stage: "concepts", reason: "empty_concepts" })).toBe(1);
  });

  it("drops a completion cut by max_tokens even when it parses, and counts it as truncated, not unparsable", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: GOOD.concepts(0), finish_reason: "length" }) });
    const reg = new Registry();
    const stage = await createStage({}, { kit: kit("concepts", srv.url, {}, reg) });
    await expect(stage.process(seed(4), ctx())).rejects.toMatchObject({ reason: "truncated_output", detail: { reason: "truncated", finish_reason: "length" } });
    expect(await metricValue(reg, "sca_llm_truncated_total", { stage: "concepts" })).toBe(1);
    expect(await metricValue(reg, "sca_llm_parse_failures_total", { reason: "truncated" })).toBe(0);
  });

  it("poisons a request the server rejects as malformed, but reports server failures as the server's outage", async () => {
    srv = await startScriptedServer({ respond: (r) => (r.seq === 0 ? { status: 400 } : { status: 503 }) });
    const stage = await createStage({}, { kit: kit("concepts", srv.url, { LLM_MAX_ATTEMPTS: "2" }) });
    await expect(stage.process(seed(5), ctx())).rejects.toMatchObject({ name: "PoisonError", reason: "poison" });
    const transient = await stage.process(seed(6), ctx()).catch((e: unknown) => e);
    expect(transient).not.toBeInstanceOf(PoisonError);
    // The runner probes the server named here before deciding whether the record is to blame.
    expect(transient).toMatchObject({
      name: "DependencyUnavailableError",
      dependency: { name: "llm", target: `the LLM server at ${srv.url}` },
      cause: { name: "LlmError", kind: "server_error" },
    });
  });

  it("rejects an invalid input record as schema_invalid, naming the field", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: GOOD.concepts(0) }) });
    const stage = await createStage({}, { kit: kit("concepts", srv.url) });
    // The runner decodes and validates the input once; the stage never sees an invalid one.
    await expect(deadLetterOf(stage, { ...seed(7), id: "nope" })).resolves.toMatchObject({ reason: "schema_invalid", error: expect.stringContaining("id: ") });
    expect(srv.requests).toHaveLength(0);
  });

  it("fails at creation on bad settings, naming the variable", async () => {
    await expect(createStage({ LLM_BASE_URL: "http://x/v1", LLM_MODEL: "m", SCA_CONCEPTS_SHOTS: "eight" })).rejects.toThrow(/SCA_CONCEPTS_SHOTS.*"eight"/);
  });
});
