import { randomInt } from "node:crypto";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { getLlama, type Llama, LlamaCompletion, type LlamaContext, type LlamaGrammar, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import type { FinishReason, SampleParams } from "./completion-request.ts";
import { SlotPool } from "./slot-pool.ts";

export interface EngineOptions {
  modelPath: string;
  /** CPU threads for llama.cpp in all; default: every core. */
  threads?: number;
  /** Requests generated in parallel; more wait in a FIFO queue. */
  sequences?: number;
  /** Tokens per sequence (prompt + completion). */
  contextSize?: number;
  /** llama.cpp's own log lines (warnings about the GGUF and such). */
  onLog?: (level: string, message: string) => void;
}

export interface Sample {
  text: string;
  finishReason: FinishReason;
  completionTokens: number;
}

const GRAMMARS_KEPT = 16;

interface Slot {
  completion: LlamaCompletion;
  meter: () => { usedInputTokens: number; usedOutputTokens: number };
}

/**
 * How sequences and threads are spread over llama.cpp contexts. One context per thread, each with its
 * own decode loop on its own core, rather than one context whose threads meet at a spinning barrier
 * after every op: on a shared CPU a descheduled thread stalls its partner at that barrier (measured
 * here: 2 threads in one context ran 3-4x slower than 1 under load). Sequences beyond the thread count
 * share a context and are decoded together in its batches.
 */
export function contextLayout(sequences: number, threads: number): { contexts: number; sequencesPerContext: number; threadsPerContext: number } {
  const contexts = Math.max(1, Math.min(sequences, threads));
  return { contexts, sequencesPerContext: Math.ceil(sequences / contexts), threadsPerContext: Math.max(1, Math.floor(threads / contexts)) };
}

/** One GGUF model on CPU, weights loaded once, serving a fixed number of parallel sequences. */
export class LocalModelEngine {
  private constructor(
    readonly id: string,
    readonly contextSize: number,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly contexts: LlamaContext[],
    private readonly pool: SlotPool<Slot>,
  ) {}

  /**
   * Compiled once per grammar text, the most recently used few kept: requests of a stage share one,
   * while after-code tests grammars (one per sample, naming its functions) are used once each.
   */
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  /** Compiles a GBNF grammar (once per text while cached); rejects when it does not parse. */
  grammar(text: string): Promise<LlamaGrammar> {
    let g = this.grammars.get(text);
    if (g) this.grammars.delete(text);
    else {
      g = this.llama.createGrammar({ grammar: text });
      // A grammar that does not compile is the request's fault; do not keep the rejection cached.
      g.catch(() => this.grammars.delete(text));
    }
    this.grammars.set(text, g);
    if (this.grammars.size > GRAMMARS_KEPT) this.grammars.delete(this.grammars.keys().next().value as string);
    return g;
  }

  static async load(opts: EngineOptions): Promise<LocalModelEngine> {
    const threads = opts.threads ?? availableParallelism();
    const llama = await getLlama({
      gpu: false,
      // Never build from source or fetch binaries at run time: only the prebuilt npm package is allowed.
      build: "never",
      skipDownload: true,
      progressLogs: false,
      maxThreads: threads,
      logLevel: LlamaLogLevel.error,
      logger: (level, message) => opts.onLog?.(level, message.trimEnd()),
    });
    try {
      const model = await llama.loadModel({ modelPath: opts.modelPath });
      const layout = contextLayout(opts.sequences ?? 2, threads);
      const contexts: LlamaContext[] = [];
      const slots: Slot[] = [];
      for (let c = 0; c < layout.contexts; c++) {
        const context = await model.createContext({
          sequences: layout.sequencesPerContext,
          contextSize: opts.contextSize ?? 8192,
          threads: layout.threadsPerContext,
        });
        contexts.push(context);
        for (let i = 0; i < layout.sequencesPerContext; i++) {
          const seq = context.getSequence();
          slots.push({ completion: new LlamaCompletion({ contextSequence: seq }), meter: () => seq.tokenMeter.getState() });
        }
      }
      return new LocalModelEngine(basename(opts.modelPath).replace(/\.gguf$/i, ""), contexts[0].contextSize, llama, model, contexts, new SlotPool(slots));
    } catch (e) {
      await llama.dispose();
      throw e;
    }
  }

  get sequences(): number {
    return this.pool.size;
  }

  stats(): { sequences: number; busy: number; waiting: number } {
    return { sequences: this.pool.size, busy: this.pool.busy, waiting: this.pool.waiting };
  }

  /** Tokens as the model will see them, BOS included when the model wants one. */
  tokenize(prompt: string): Token[] {
    // Same tokenization LlamaCompletion applies to a string (it prepends BOS itself).
    return this.model.tokenize(prompt, false, "trimLeadingSpace");
  }

  promptTokenCount(tokens: Token[]): number {
    return tokens.length + (this.model.tokens.shouldPrependBosToken && this.model.tokens.bos != null ? 1 : 0);
  }

  /** One sample; waits for a free sequence first. Rejects with the signal's reason when aborted. */
  async sample(tokens: Token[], p: SampleParams, signal?: AbortSignal): Promise<Sample> {
    const grammar = p.grammar ? await this.grammar(p.grammar) : undefined;
    const slot = await this.pool.acquire(signal);
    try {
      const before = slot.meter();
      const r = await slot.completion.generateCompletionWithMeta(tokens, {
        signal,
        maxTokens: p.maxTokens,
        temperature: p.temperature,
        topP: p.topP,
        topK: p.topK,
        // OpenAI/vLLM semantics: no repetition penalty unless asked (node-llama-cpp applies one by default).
        repeatPenalty: p.repetitionPenalty && p.repetitionPenalty !== 1 ? { penalty: p.repetitionPenalty, penalizeNewLine: false } : false,
        grammar,
        // llama.cpp seeds unseeded samplers with the current second: identical samples within a second.
        seed: p.seed ?? randomInt(0, 2 ** 31),
        customStopTriggers: p.stop.length > 0 ? p.stop : undefined,
        // Like vLLM: never drop the start of the prompt to make room; cut the completion at the context end.
        disableContextShift: true,
        // Only consulted to fit the prompt; the server has already refused prompts that do not fit.
        contextShiftSize: 1,
      });
      const after = slot.meter();
      return {
        text: r.response,
        finishReason: r.metadata.stopReason === "maxTokens" ? "length" : "stop",
        completionTokens: after.usedOutputTokens - before.usedOutputTokens,
      };
    } finally {
      this.pool.release(slot);
    }
  }

  async close(): Promise<void> {
    this.pool.rejectAll(new Error("model server is shutting down"));
    for (const c of this.contexts) await c.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
