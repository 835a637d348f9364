import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { LlmClient } from "../../services/llm/client.ts";
import { llmConfigFromEnv, type LlmConfig } from "../../services/llm/config.ts";
import { LlmError } from "../../services/llm/errors.ts";
import { startScriptedServer, type ScriptedReply, type ScriptedServer } from "./scripted-server.ts";

let srv: ScriptedServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

function config(url: string, over: Partial<LlmConfig> = {}): LlmConfig {
  return { ...llmConfigFromEnv({ LLM_BASE_URL: url, LLM_MODEL: "m", LLM_RETRY_BASE_MS: "5", LLM_RETRY_MAX_MS: "20" }), ...over };
}

async function value(reg: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe("LlmClient against a real HTTP server", () => {
  it("sends the sampling parameters and returns n choices in order with token counts", async () => {
    srv = await startScriptedServer({ respond: () => ({ texts: ["zero", "one", "two"], usage: { prompt_tokens: 11, completion_tokens: 6 } }) });
    const reg = new Registry();
    const c = new LlmClient(config(srv.url), { registry: reg });
    const r = await c.complete({ prompt: "P", n: 3, max_tokens: 64, temperature: 0.7, stop: ["## Example"], seed: 3407 }, { stage: "t" });
    expect(r.choices.map((x) => x.text)).toEqual(["zero", "one", "two"]);
    expect(r).toMatchObject({ promptTokens: 11, completionTokens: 6 });
    expect(srv.requests[0].path).toBe("/v1/completions");
    expect(srv.requests[0].body).toMatchObject({ model: "m", prompt: "P", n: 3, max_tokens: 64, temperature: 0.7, stop: ["## Example"], seed: 3407 });
    expect(await value(reg, "sca_llm_prompt_tokens_total", { stage: "t" })).toBe(11);
    expect(await value(reg, "sca_llm_completion_tokens_total", { stage: "t" })).toBe(6);
    expect(await value(reg, "sca_llm_finish_reasons_total", { stage: "t", reason: "stop" })).toBe(3);
    expect(await value(reg, "sca_llm_requests_total", { stage: "t", outcome: "ok" })).toBe(1);
  });

  it("retries 429 and 500 with backoff and succeeds; counts errors by kind", async () => {
    const replies: ScriptedReply[] = [{ status: 429, headers: { "retry-after": "0" } }, { status: 500 }, { text: "ok" }];
    srv = await startScriptedServer({ respond: (r) => replies[r.seq] });
    const reg = new Registry();
    const c = new LlmClient(config(srv.url), { registry: reg });
    const r = await c.complete({ prompt: "P", n: 1, max_tokens: 8, temperature: 0 }, { stage: "t" });
    expect(r.choices[0].text).toBe("ok");
    expect(srv.requests).toHaveLength(3);
    expect(await value(reg, "sca_llm_errors_total", { kind: "rate_limited" })).toBe(1);
    expect(await value(reg, "sca_llm_errors_total", { kind: "server_error" })).toBe(1);
    expect(await value(reg, "sca_llm_retries_total", { stage: "t" })).toBe(2);
  });

  it("times out a hung request on its own deadline, retries, then fails with kind timeout", async () => {
    srv = await startScriptedServer({ respond: () => ({ hang: true }) });
    const reg = new Registry();
    const c = new LlmClient(config(srv.url, { timeoutMs: 500, maxAttempts: 2 }), { registry: reg });
    const err = await c.complete({ prompt: "P", n: 1, max_tokens: 8, temperature: 0 }, { stage: "t" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).kind).toBe("timeout");
    // Two attempts, each ended by our deadline (on a loaded machine the second may time out before it even reaches the server).
    expect(await value(reg, "sca_llm_errors_total", { kind: "timeout" })).toBe(2);
    expect(await value(reg, "sca_llm_retries_total", { stage: "t" })).toBe(1);
    expect(srv.requests.length).toBeGreaterThanOrEqual(1);
    expect(await value(reg, "sca_llm_requests_total", { outcome: "error" })).toBe(1);
  });

  it("treats a garbage body as an invalid response and retries it", async () => {
    srv = await startScriptedServer({
      respond: (r) => (r.seq === 0 ? { garbage: "<html>oops" } : r.seq === 1 ? { garbage: '{"choices":[]}' } : { text: "fine" }),
    });
    const reg = new Registry();
    const c = new LlmClient(config(srv.url), { registry: reg });
    const r = await c.complete({ prompt: "P", n: 1, max_tokens: 8, temperature: 0 }, { stage: "t" });
    expect(r.choices[0].text).toBe("fine");
    expect(await value(reg, "sca_llm_errors_total", { kind: "invalid_response" })).toBe(2);
  });

  it("does not retry a request the server rejects as bad (400)", async () => {
    srv = await startScriptedServer({ respond: () => ({ status: 400, body: JSON.stringify({ error: { message: "prompt too long" } }) }) });
    const c = new LlmClient(config(srv.url), { registry: new Registry() });
    const err = (await c.complete({ prompt: "P", n: 1, max_tokens: 8, temperature: 0 }, { stage: "t" }).catch((e: unknown) => e)) as LlmError;
    expect(err.kind).toBe("bad_request");
    expect(err.retryable).toBe(false);
    expect(srv.requests).toHaveLength(1);
  });

  it("speaks the chat endpoint when configured", async () => {
    srv = await startScriptedServer({ respond: () => ({ text: "hi" }) });
    const c = new LlmClient(config(srv.url, { api: "chat" }), { registry: new Registry() });
    const r = await c.complete({ prompt: "P", n: 2, max_tokens: 8, temperature: 0 }, { stage: "t" });
    expect(r.choices.map((x) => x.text)).toEqual(["hi", "hi"]);
    expect(srv.requests[0].path).toBe("/v1/chat/completions");
    expect(srv.requests[0].body.messages).toEqual([{ role: "user", content: "P" }]);
  });

  it("stops retrying when the caller aborts", async () => {
    const ac = new AbortController();
    // Abort once the request is on the server, whatever the machine's load.
    srv = await startScriptedServer({
      respond: () => {
        ac.abort(new Error("shutdown"));
        return { hang: true };
      },
    });
    const c = new LlmClient(config(srv.url, { timeoutMs: 60_000 }), { registry: new Registry() });
    await expect(c.complete({ prompt: "P", n: 1, max_tokens: 8, temperature: 0 }, { stage: "t", signal: ac.signal })).rejects.toThrow("shutdown");
    expect(srv.requests).toHaveLength(1);
  });
});

describe("llmConfigFromEnv", () => {
  it("names the variable and the value when one is bad", () => {
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: "not a url", LLM_MODEL: "m" })).toThrow(/LLM_BASE_URL.*"not a url"/);
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: "http://x/v1", LLM_MODEL: "m", LLM_TIMEOUT_MS: "soon" })).toThrow(/LLM_TIMEOUT_MS.*"soon"/);
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: "http://x/v1" })).toThrow(/LLM_MODEL/);
  });
});
