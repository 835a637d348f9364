// `npm run bench -- model [--threads 2,1] [--rounds 2] [--gen-tokens 96] [--prompt-lines 60]`:
// tokens/s of the small CPU model behind our OpenAI-compatible server, for 1 and 2 parallel sequences.
// Prompt processing: k concurrent long prompts with max_tokens 1. Generation: k concurrent short prompts
// with max_tokens N. Rates are aggregate (all tokens / wall time), measured over HTTP as a client sees them.
import { loadavg, cpus } from "node:os";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { z } from "zod";
import { describeZodError } from "../../services/shared/zod-error.ts";
import { contextLayout } from "../../services/llm/local-model/engine.ts";
import { resolveModelPath } from "../../services/llm/local-model/resolve.ts";
import { startLocalModelServer } from "../../services/llm/local-model/server.ts";

const Args = z.object({
  threads: z
    .string()
    .regex(/^\d+(,\d+)*$/, "comma-separated thread counts")
    .transform((s) => s.split(",").map(Number)),
  rounds: z.coerce.number().int().min(1).max(20),
  genTokens: z.coerce.number().int().min(8).max(1536),
  promptLines: z.coerce.number().int().min(1).max(400),
});

const Usage = z.object({ usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }) });

interface Row {
  threads: number;
  parallel: number;
  promptTokens: number;
  promptSeconds: number;
  promptTokPerS: number;
  genTokens: number;
  genSeconds: number;
  genTokPerS: number;
  genTokPerSPerSeq: number;
}

export async function run(argv: string[]): Promise<{ table: string; data: unknown }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      threads: { type: "string", default: "2,1" },
      rounds: { type: "string", default: "2" },
      "gen-tokens": { type: "string", default: "96" },
      "prompt-lines": { type: "string", default: "60" },
    },
  });
  const raw = { threads: values.threads, rounds: values.rounds, genTokens: values["gen-tokens"], promptLines: values["prompt-lines"] };
  const parsed = Args.safeParse(raw);
  if (!parsed.success) throw new Error(`bench model: ${describeZodError(parsed.error, raw)}`);
  const args = parsed.data;

  const modelPath = await resolveModelPath({ install: true });
  const loadBefore = loadavg();
  const rows: Row[] = [];
  let uniq = 0;
  for (const threads of args.threads) {
    const t0 = performance.now();
    const server = await startLocalModelServer({ modelPath, threads, sequences: 2, contextSize: 4096, log: pino({ level: "warn" }, pino.destination(2)) });
    console.error(`threads=${threads}: model loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      const complete = async (prompt: string, maxTokens: number) => {
        const res = await fetch(`${server.baseURL}/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ prompt, max_tokens: maxTokens, temperature: 0.7, top_p: 1 }),
        });
        if (!res.ok) throw new Error(`completion failed: ${res.status} ${await res.text()}`);
        return Usage.parse(await res.json()).usage;
      };
      // A distinct first line defeats the sequences' prefix reuse: every round evaluates its whole prompt.
      const longPrompt = () =>
        `# file ${uniq++}\n` + Array.from({ length: args.promptLines }, (_, i) => `def f${i}(x):\n    return x * ${i} + ${i % 7}\n`).join("");
      const shortPrompt = () => `# module ${uniq++}: utilities for parsing configuration files\nimport json\nimport re\n\n\nclass ConfigParser:\n`;
      await complete(shortPrompt(), 4); // warm-up: first decode pays one-time allocation costs
      for (const parallel of [1, 2]) {
        const row: Row = {
          threads,
          parallel,
          promptTokens: 0,
          promptSeconds: 0,
          promptTokPerS: 0,
          genTokens: 0,
          genSeconds: 0,
          genTokPerS: 0,
          genTokPerSPerSeq: 0,
        };
        for (let r = 0; r < args.rounds; r++) {
          let t = performance.now();
          const pp = await Promise.all(Array.from({ length: parallel }, () => complete(longPrompt(), 1)));
          row.promptSeconds += (performance.now() - t) / 1000;
          row.promptTokens += pp.reduce((s, u) => s + u.prompt_tokens, 0);
          t = performance.now();
          const gen = await Promise.all(Array.from({ length: parallel }, () => complete(shortPrompt(), args.genTokens)));
          row.genSeconds += (performance.now() - t) / 1000;
          row.genTokens += gen.reduce((s, u) => s + u.completion_tokens, 0);
        }
        row.promptTokPerS = row.promptTokens / row.promptSeconds;
        row.genTokPerS = row.genTokens / row.genSeconds;
        row.genTokPerSPerSeq = row.genTokPerS / parallel;
        console.error(`threads=${threads} parallel=${parallel}: pp ${row.promptTokPerS.toFixed(1)} tok/s, gen ${row.genTokPerS.toFixed(1)} tok/s`);
        rows.push(row);
      }
    } finally {
      await server.close();
    }
  }
  const loadAfter = loadavg();
  const machine = { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavg1mBefore: loadBefore[0], loadavg1mAfter: loadAfter[0] };
  const f = (x: number) => x.toFixed(1);
  const table = [
    `Gemma 3 270M Q4_K_M (${modelPath.split("/").pop()}), node-llama-cpp CPU, ${machine.cores} x ${machine.cpu}; ` +
      `1-min load average ${f(machine.loadavg1mBefore)} before, ${f(machine.loadavg1mAfter)} after (the machine is shared: rates fall with load).`,
    `Aggregate rates over ${args.rounds} rounds; prompt: ~${Math.round(rows[0].promptTokens / rows[0].parallel / args.rounds)} tokens, max_tokens 1; generation: max_tokens ${args.genTokens}, temperature 0.7.`,
    "",
    "| threads | layout (2 sequences) | parallel requests | prompt tok/s | generation tok/s (total) | generation tok/s per sequence | tokens generated |",
    "|---:|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const l = contextLayout(2, r.threads);
      const layout = `${l.contexts} context(s) x ${l.threadsPerContext} thread(s) x ${l.sequencesPerContext} seq`;
      return `| ${r.threads} | ${layout} | ${r.parallel} | ${f(r.promptTokPerS)} | ${f(r.genTokPerS)} | ${f(r.genTokPerSPerSeq)} | ${r.genTokens} |`;
    }),
  ].join("\n");
  return { table, data: { machine, args, rows } };
}
