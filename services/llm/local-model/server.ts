import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import { describeZodError } from "../../shared/zod-error.ts";
import { CompletionRequest, type CompletionResponse } from "./completion-request.ts";
import { type EngineOptions, LocalModelEngine } from "./engine.ts";

export interface LocalModelServerOptions extends Omit<EngineOptions, "onLog"> {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  log?: Logger;
}

export interface LocalModelServer {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  /** What an OpenAI client takes as baseURL (LLM_BASE_URL): url + "/v1". */
  baseURL: string;
  /** The model id reported by /v1/models and in every response. */
  model: string;
  sequences: number;
  contextSize: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = "invalid_request_error",
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/**
 * An OpenAI-compatible completions server over a local GGUF model: the CPU stand-in for vLLM.
 * Only what a base-model few-shot pipeline needs: /v1/completions (n, stop, seed, sampling, and
 * vLLM's guided_grammar and repetition_penalty),
 * /v1/models and /health. Requests queue for the model's parallel sequences.
 */
export async function startLocalModelServer(opts: LocalModelServerOptions): Promise<LocalModelServer> {
  const log = opts.log ?? pino({ name: "local-model" }, pino.destination(2));
  const engine = await LocalModelEngine.load({ ...opts, onLog: (level, message) => log.warn({ llama: level }, message) });
  const created = Math.floor(Date.now() / 1000);

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, e instanceof Error ? e.message : String(e), "server_error");
      if (err.status >= 500) log.error({ err: e, path: req.url }, "request failed");
      if (!res.headersSent && !res.destroyed) send(res, err.status, { error: { message: err.message, type: err.type, param: err.param, code: null } });
    });
  });
  // Queued generations can take minutes; Node's default 5-minute request timeout would cut them off.
  server.requestTimeout = 0;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname.replace(/\/+$/, "");
    const allow = (method: string) => {
      if (req.method !== method) throw new HttpError(405, `${req.method} ${path}: only ${method} is allowed`);
    };
    switch (path) {
      case "/health":
        allow("GET");
        return send(res, 200, { status: "ok", model: engine.id, ...engine.stats() });
      case "/v1/models":
        allow("GET");
        return send(res, 200, {
          object: "list",
          data: [{ id: engine.id, object: "model", created, owned_by: "selfcodealign-stream", max_model_len: engine.contextSize }],
        });
      case "/v1/completions":
        allow("POST");
        return send(res, 200, await complete(await readJson(req), res));
      default:
        throw new HttpError(404, `no route ${req.method} ${path}; have GET /health, GET /v1/models, POST /v1/completions`);
    }
  }

  async function complete(body: unknown, res: ServerResponse): Promise<CompletionResponse> {
    const parsed = CompletionRequest.safeParse(body);
    if (!parsed.success) {
      throw new HttpError(
        400,
        `invalid completion request: ${describeZodError(parsed.error, body)}`,
        "invalid_request_error",
        String(parsed.error.issues[0]?.path[0] ?? ""),
      );
    }
    const r = parsed.data;
    const prompts = (typeof r.prompt === "string" ? [r.prompt] : r.prompt).map((text) => engine.tokenize(text));
    const promptTokens = prompts.map((t) => engine.promptTokenCount(t));
    promptTokens.forEach((count, i) => {
      if (count >= engine.contextSize) {
        throw new HttpError(
          400,
          `prompt${prompts.length > 1 ? `[${i}]` : ""} has ${count} tokens; this server's context is ${engine.contextSize} tokens`,
          "invalid_request_error",
          "prompt",
        );
      }
    });

    if (r.guided_grammar) {
      await engine.grammar(r.guided_grammar).catch((e: unknown) => {
        throw new HttpError(
          400,
          `guided_grammar is not a GBNF grammar this server can compile: ${e instanceof Error ? e.message : String(e)}`,
          "invalid_request_error",
          "guided_grammar",
        );
      });
    }
    // A client that gives up (timeout, Ctrl-C) frees its sequences instead of leaving them generating.
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort(new Error("client went away"));
    });
    const jobs = prompts.flatMap((tokens, p) =>
      Array.from({ length: r.n }, (_, i) =>
        engine.sample(
          tokens,
          // Distinct seeds per choice: n samples of one seeded request must differ yet stay reproducible.
          {
            maxTokens: r.max_tokens,
            temperature: r.temperature,
            topP: r.top_p,
            topK: Math.max(0, r.top_k),
            stop: r.stop,
            seed: r.seed == null ? undefined : r.seed + p * r.n + i,
            grammar: r.guided_grammar ?? undefined,
            repetitionPenalty: r.repetition_penalty,
          },
          abort.signal,
        ),
      ),
    );
    let samples;
    try {
      samples = await Promise.all(jobs);
    } catch (e) {
      abort.abort(e);
      await Promise.allSettled(jobs);
      throw e;
    }
    const completionTokens = samples.reduce((s, x) => s + x.completionTokens, 0);
    const promptTotal = promptTokens.reduce((s, x) => s + x, 0);
    return {
      id: `cmpl-${randomUUID()}`,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: engine.id,
      choices: samples.map((s, index) => ({ index, text: s.text, finish_reason: s.finishReason, logprobs: null })),
      usage: { prompt_tokens: promptTotal, completion_tokens: completionTokens, total_tokens: promptTotal + completionTokens },
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${addr.port}`;
  log.info({ url, model: engine.id, sequences: engine.sequences, contextSize: engine.contextSize }, "local model server listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    baseURL: `${url}/v1`,
    model: engine.id,
    sequences: engine.sequences,
    contextSize: engine.contextSize,
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await engine.close();
      })()),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`);
  }
}
