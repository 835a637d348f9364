import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { type LocalModelServer, startLocalModelServer } from "../../../services/llm/local-model/server.ts";
import { installedModelPath } from "./model-env.ts";

// A few-shot completion a base model continues in a predictable way.
const FEW_SHOT = "France: Paris\nGermany: Berlin\nItaly: Rome\nSpain: Madrid\nJapan:";

describe("local model server (real Gemma 3 270M on CPU)", () => {
  let server: LocalModelServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startLocalModelServer({ modelPath: await installedModelPath(), sequences: 2, contextSize: 1024, log: pino({ level: "silent" }) });
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "none", maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  const health = async () => (await (await fetch(`${server.url}/health`)).json()) as { status: string; busy: number; waiting: number; sequences: number };

  it("lists its model and reports health", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["gemma-3-270m-q4_k_m"]);
    expect(await health()).toMatchObject({ status: "ok", sequences: 2, busy: 0, waiting: 0 });
  });

  it("completes a few-shot prompt greedily, n samples, cut at the stop string", async () => {
    const r = await client.completions.create({ model: server.model, prompt: FEW_SHOT, max_tokens: 12, temperature: 0, n: 2, stop: ["\n"] });
    expect(r.choices).toHaveLength(2);
    expect(r.choices.map((c) => c.index)).toEqual([0, 1]);
    for (const c of r.choices) {
      expect(c.text).not.toContain("\n");
      expect(c.finish_reason).toBe("stop");
    }
    expect(r.choices[0].text.trim()).toBe("Tokyo");
    expect(r.choices[1].text).toBe(r.choices[0].text);
    expect(r.usage?.prompt_tokens).toBeGreaterThan(15);
    expect(r.usage?.completion_tokens).toBeGreaterThanOrEqual(2);
    expect(r.usage?.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
  });

  it("stops at max_tokens with finish_reason length and counts exactly those tokens", async () => {
    const r = await client.completions.create({ model: server.model, prompt: "def main():\n", max_tokens: 6, temperature: 0.7, seed: 11 });
    expect(r.choices[0].finish_reason).toBe("length");
    expect(r.usage?.completion_tokens).toBe(6);
    expect(r.choices[0].text.length).toBeGreaterThan(0);
  });

  it("reproduces a seeded sample", async () => {
    const ask = () => client.completions.create({ model: server.model, prompt: "import random\n\ndef shuffle", max_tokens: 10, temperature: 1, seed: 3407 });
    const a = await ask();
    const b = await ask();
    expect(b.choices[0].text).toBe(a.choices[0].text);
  });

  it("queues requests beyond its sequences and serves them all", async () => {
    let maxBusy = 0;
    let maxWaiting = 0;
    let done = false;
    const poll = (async () => {
      while (!done) {
        const h = await health();
        maxBusy = Math.max(maxBusy, h.busy);
        maxWaiting = Math.max(maxWaiting, h.waiting);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const results = await Promise.all(
      [1, 2, 3].map((i) => client.completions.create({ model: server.model, prompt: `# task ${i}\ndef solve():\n`, max_tokens: 8, temperature: 0.7, seed: i })),
    );
    done = true;
    await poll;
    expect(results.map((r) => r.usage?.completion_tokens)).toEqual([8, 8, 8]);
    expect(maxBusy).toBe(2);
    expect(maxWaiting).toBeGreaterThanOrEqual(1);
    expect(await health()).toMatchObject({ busy: 0, waiting: 0 });
  });

  it("frees the sequence when the client gives up", async () => {
    const abort = new AbortController();
    const pending = client.completions.create(
      { model: server.model, prompt: "def long_story():\n", max_tokens: 900, temperature: 0.8 },
      { signal: abort.signal },
    );
    const deadline = Date.now() + 30_000;
    while ((await health()).busy === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    await expect(pending).rejects.toThrow();
    while ((await health()).busy !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await health()).toMatchObject({ busy: 0, waiting: 0 });
  });

  it("holds a completion to a guided_grammar (GBNF) and ends it where the grammar ends", async () => {
    const post = (body: object) =>
      fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    // Unconstrained, this prompt continues with more lines; the grammar allows one capitalised word and a newline.
    const grammar = 'root ::= " " [A-Z] [a-z]{1,12} "\\n"';
    const res = await post({ prompt: FEW_SHOT, max_tokens: 40, temperature: 1, seed: 5, n: 2, guided_grammar: grammar, repetition_penalty: 1.1 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ text: string; finish_reason: string }> };
    for (const c of body.choices) {
      expect(c.text).toMatch(/^ [A-Z][a-z]{1,12}\n$/);
      expect(c.finish_reason).toBe("stop");
    }

    const bad = await post({ prompt: "x", max_tokens: 4, guided_grammar: "root ::= (" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string; param: string } }).error).toMatchObject({
      param: "guided_grammar",
      message: expect.stringMatching(/guided_grammar is not a GBNF grammar/),
    });
  });

  it("rejects an invalid body with a 400 naming the field and the value", async () => {
    const err = await client.completions.create({ model: server.model, prompt: "x", max_tokens: 0, temperature: 5 } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).message).toMatch(/max_tokens: .*got 0/);
    expect((err as APIError).message).toMatch(/temperature: .*got 5/);
  });

  it("refuses unsupported features, bad JSON, prompts longer than the context and unknown routes", async () => {
    const post = (body: string) => fetch(`${server.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const stream = await post(JSON.stringify({ prompt: "x", stream: true }));
    expect(stream.status).toBe(400);
    expect(((await stream.json()) as { error: { message: string } }).error.message).toMatch(/stream: not supported/);

    const bad = await post("{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);

    const long = await post(JSON.stringify({ prompt: "word ".repeat(3000), max_tokens: 1 }));
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(/prompt has \d+ tokens; this server's context is \d+ tokens/);

    const missing = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    const wrongMethod = await fetch(`${server.url}/v1/completions`);
    expect(wrongMethod.status).toBe(405);
  });
});
