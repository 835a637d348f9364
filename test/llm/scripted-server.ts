/**
 * A real OpenAI-compatible HTTP server for tests, answering from a script: completions, errors
 * (429/5xx with optional Retry-After), hangs (client timeouts) and garbage bodies. Serves
 * /v1/completions and /v1/chat/completions (counting every request) and GET /v1/models.
 *
 *   const srv = await startScriptedServer({ respond: (req) => ({ text: "a, b" }) });
 *   // LLM_BASE_URL=srv.url ... ; srv.requests.length ; await srv.close();
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedRequest {
  /** 0-based arrival order */
  seq: number;
  path: string;
  /** the parsed JSON body (prompt or messages, n, stop, seed, max_tokens, temperature, ...) */
  body: Record<string, unknown> & { n?: number; prompt?: string; messages?: Array<{ role: string; content: string }> };
  headers: IncomingMessage["headers"];
}

export type ScriptedReply =
  /** one text per choice; a single text is repeated n times */
  | { texts?: string[]; text?: string; finish_reason?: string; usage?: { prompt_tokens: number; completion_tokens: number }; delayMs?: number }
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  /** never answers: the client's timeout must fire */
  | { hang: true }
  /** HTTP 200 with this raw body, labelled as JSON */
  | { garbage: string };

export interface ScriptedServer {
  /** base URL including /v1, as LLM_BASE_URL expects */
  url: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

/** What GET /v1/models lists unless the script says otherwise: the model names the tests use. */
export const SCRIPTED_MODELS = ["test-model", "scripted"];

export interface Script {
  respond(req: ScriptedRequest): ScriptedReply | Promise<ScriptedReply>;
  /** GET /v1/models: the served model ids, or a reply (an error status) while "down". */
  models?(): string[] | { status: number };
}

export async function startScriptedServer(script: Script, opts: { port?: number } = {}): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(599, { "content-type": "text/plain" });
      res.end(`scripted server failed: ${(e as Error).message}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && /\/v1\/models$/.test(path)) {
      const models = script.models?.() ?? SCRIPTED_MODELS;
      if ("status" in models)
        res.writeHead(models.status, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `scripted ${models.status}` } }));
      else
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ object: "list", data: models.map((id) => ({ id, object: "model", owned_by: "scripted" })) }));
      return;
    }
    if (req.method !== "POST" || !/\/v1\/(chat\/)?completions$/.test(path)) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ScriptedRequest["body"];
    const r: ScriptedRequest = { seq: requests.length, path, body, headers: req.headers };
    requests.push(r);
    const reply = await script.respond(r);
    if ("hang" in reply) return;
    if ("delayMs" in reply && reply.delayMs) await new Promise((ok) => setTimeout(ok, reply.delayMs));
    if ("garbage" in reply) {
      res.writeHead(200, { "content-type": "application/json" }).end(reply.garbage);
      return;
    }
    if ("status" in reply) {
      res
        .writeHead(reply.status, { "content-type": "application/json", ...reply.headers })
        .end(reply.body ?? JSON.stringify({ error: { message: `scripted ${reply.status}`, type: "scripted" } }));
      return;
    }
    const n = body.n ?? 1;
    const texts = reply.texts ?? Array.from({ length: n }, () => reply.text ?? "");
    const chat = path.endsWith("chat/completions");
    const choices = texts.map((text, index) => ({
      index,
      finish_reason: reply.finish_reason ?? "stop",
      ...(chat ? { message: { role: "assistant", content: text } } : { text, logprobs: null }),
    }));
    const usage = reply.usage ?? {
      prompt_tokens: Math.ceil(promptLength(body) / 4),
      completion_tokens: texts.reduce((s, t) => s + Math.max(1, Math.ceil(t.length / 4)), 0),
    };
    const out = {
      id: `cmpl-${r.seq}`,
      object: chat ? "chat.completion" : "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: String(body.model),
      choices,
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
  }

  server.listen(opts.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      // Hung requests keep their sockets open: close them too, or close() never returns.
      server.closeAllConnections();
      await new Promise<void>((ok, fail) => server.close((e) => (e ? fail(e) : ok())));
    },
  };
}

function promptLength(body: ScriptedRequest["body"]): number {
  if (typeof body.prompt === "string") return body.prompt.length;
  return (body.messages ?? []).reduce((s, m) => s + m.content.length, 0);
}
