/**
 * A simulated inference server for benchmarks: OpenAI-compatible /v1/completions over real HTTP,
 * behind which a continuous-batching engine runs in real time. It has a fixed number of sequence
 * slots and advances one decode step every `msPerStep`; each step every running sequence emits one
 * token. Sequences are admitted first come, first served, whenever a slot is free; a request of n
 * samples is n sequences (as vLLM V1 fans out parallel sampling) and is answered when all are done.
 * Prompts are prefilled from a per-step token budget before decoding starts; with prefix caching,
 * the blocks of a prompt prefix seen before are not prefilled again. Slot occupancy and the
 * waiting queue are sampled every step.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Mode } from "../../services/llm/prompts.ts";
import { SeededRng } from "../../services/llm/rng.ts";
import { GOOD, modeOf } from "./support.ts";

export interface SimOptions {
  slots: number;
  msPerStep: number;
  /** prompt tokens prefilled per step, shared by all sequences in prefill */
  prefillTokensPerStep: number;
  prefixCaching: boolean;
  /** the measurement window opens when this request (1-based) arrives: 1 counts the client's warm-up too */
  windowFromRequest: number;
  /** completion length range (tokens) per mode; the text is a well-formed completion for the mode */
  lengths: Record<Mode, [number, number]>;
}

export interface SimStats {
  steps: number;
  /** mean fraction of slots holding a sequence, over steps between start and stop of the window */
  occupancy: number;
  meanWaiting: number;
  maxWaiting: number;
  maxRunning: number;
  /** requests received so far (the window does not limit this) */
  requests: number;
  promptTokens: number;
  prefilledTokens: number;
  completionTokens: number;
}

interface Group {
  texts: string[];
  remaining: number;
  promptTokens: number;
  completionTokens: number;
  res: ServerResponse;
  model: string;
  seq: number;
}

interface Sequence {
  group: Group;
  prefillLeft: number;
  tokensLeft: number;
}

const CHARS_PER_TOKEN = 4;
const BLOCK_CHARS = 16 * CHARS_PER_TOKEN;

export async function startSimServer(opts: SimOptions) {
  const waiting: Sequence[] = [];
  const running: Sequence[] = [];
  const cache = new Set<string>();
  let seq = 0;
  const window = { on: false, closed: false, steps: 0, occupied: 0, waitingSum: 0, maxWaiting: 0, maxRunning: 0 };
  const totals = { requests: 0, promptTokens: 0, prefilledTokens: 0, completionTokens: 0 };

  /** Tokens of `prompt` not covered by cached prefix blocks; caches its blocks. */
  function uncachedTokens(prompt: string): number {
    const total = Math.ceil(prompt.length / CHARS_PER_TOKEN);
    if (!opts.prefixCaching) return total;
    let h = "";
    let cachedChars = 0;
    let hit = true;
    for (let i = 0; i + BLOCK_CHARS <= prompt.length; i += BLOCK_CHARS) {
      h = createHash("sha1")
        .update(h)
        .update(prompt.slice(i, i + BLOCK_CHARS))
        .digest("hex");
      if (hit && cache.has(h)) cachedChars += BLOCK_CHARS;
      else hit = false;
      cache.add(h);
    }
    return Math.max(1, total - Math.floor(cachedChars / CHARS_PER_TOKEN));
  }

  function step(): void {
    while (waiting.length > 0 && running.length < opts.slots) running.push(waiting.shift()!);
    let budget = opts.prefillTokensPerStep;
    for (const q of running) {
      if (q.prefillLeft > 0) {
        const take = Math.min(budget, q.prefillLeft);
        q.prefillLeft -= take;
        budget -= take;
      } else q.tokensLeft--;
    }
    if (window.on) {
      window.steps++;
      window.occupied += running.length / opts.slots;
      window.waitingSum += waiting.length;
      window.maxWaiting = Math.max(window.maxWaiting, waiting.length);
      window.maxRunning = Math.max(window.maxRunning, running.length);
    }
    for (let i = running.length - 1; i >= 0; i--) {
      const q = running[i];
      if (q.prefillLeft > 0 || q.tokensLeft > 0) continue;
      running.splice(i, 1);
      if (--q.group.remaining === 0) finish(q.group);
    }
  }

  function finish(g: Group): void {
    const choices = g.texts.map((text, index) => ({ index, text, logprobs: null, finish_reason: "stop" }));
    const body = {
      id: `sim-${g.seq}`,
      object: "text_completion",
      created: 0,
      model: g.model,
      choices,
      usage: { prompt_tokens: g.promptTokens, completion_tokens: g.completionTokens, total_tokens: g.promptTokens + g.completionTokens },
    };
    if (!g.res.destroyed) g.res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  // Real time: advance as many steps as the clock says are due, so timer jitter does not slow the engine.
  const t0 = performance.now();
  let done = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const due = Math.floor((performance.now() - t0) / opts.msPerStep);
    while (done < due) {
      step();
      done++;
    }
    setTimeout(tick, Math.max(1, opts.msPerStep / 2));
  };
  tick();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/sim/stats") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats()));
        return;
      }
      if (req.url === "/sim/window/close" && req.method === "POST") {
        stopWindow();
        res.writeHead(204).end();
        return;
      }
      if (req.method !== "POST" || !(req.url ?? "").endsWith("/v1/completions")) {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { prompt: string; n?: number; max_tokens?: number; model: string };
      const n = body.n ?? 1;
      const rng = new SeededRng("sim", seq);
      const mode = modeOf({ seq: 0, path: "", headers: {}, body: { prompt: body.prompt } });
      const outs = Array.from({ length: n }, (_, i) => ({ tokens: rng.int(...opts.lengths[mode]), text: GOOD[mode](i) }));
      const capped = outs.map((o) => Math.max(1, Math.min(o.tokens, body.max_tokens ?? Infinity)));
      const promptTokens = Math.ceil(body.prompt.length / CHARS_PER_TOKEN);
      const prefill = uncachedTokens(body.prompt);
      totals.requests++;
      window.on ||= totals.requests >= opts.windowFromRequest && !window.closed;
      totals.promptTokens += promptTokens;
      totals.prefilledTokens += prefill;
      totals.completionTokens += capped.reduce((a, b) => a + b, 0);
      const group: Group = {
        texts: outs.map((o) => o.text),
        remaining: n,
        promptTokens,
        completionTokens: capped.reduce((a, b) => a + b, 0),
        res,
        model: body.model,
        seq: seq++,
      };
      // Siblings share the prompt: only the first pays its prefill, the others find it cached.
      capped.forEach((tokens, i) => waiting.push({ group, prefillLeft: i === 0 ? prefill : 1, tokensLeft: tokens }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  function stopWindow(): void {
    window.on = false;
    window.closed = true;
  }

  function stats(): SimStats {
    return {
      steps: window.steps,
      occupancy: window.steps ? window.occupied / window.steps : 0,
      meanWaiting: window.steps ? window.waitingSum / window.steps : 0,
      maxWaiting: window.maxWaiting,
      maxRunning: window.maxRunning,
      ...totals,
    };
  }

  return {
    url: `http://127.0.0.1:${port}/v1`,
    /** Closes the measurement window: once the client has no new work to send, idle slots are not its fault. */
    stopWindow,
    stats,
    async close(): Promise<void> {
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

export type SimServer = Awaited<ReturnType<typeof startSimServer>>;
