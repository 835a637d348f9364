import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { Command } from "commander";
import { stateOption, withStateDir } from "../state-option.ts";
import { z } from "zod";
import { describeZodError } from "../../shared/zod-error.ts";
import type { Transport } from "../../runtime/transport.ts";
import type { Funnel } from "../../seeds/funnel.ts";
import type { SeedSink } from "../../seeds/sinks.ts";

const positiveInt = z.coerce.number().int().positive();

const Flags = z.object({
  limit: positiveInt.optional(),
  output: z.string().min(1).optional(),
  stats: z.boolean().default(false),
  json: z.boolean().default(false),
  typecheck: z.boolean().default(true),
  judge: z.boolean().default(false),
  methods: z.boolean().default(false),
  batchSize: positiveInt.default(1000),
  maxLines: positiveInt.default(150),
  pythonVersion: z
    .string()
    .regex(/^3\.\d+$/, "a Python version such as 3.11")
    .default("3.11"),
  benchmarks: z.string().min(1).optional(),
  extraBenchmarks: z.array(z.string().min(1)).default([]),
  dedupDir: z.string().min(1).optional(),
  dedupThreshold: z.coerce.number().gt(0).lte(1).default(0.5),
  runId: z.string().min(1).optional(),
  transport: z.enum(["kafka", "embedded"]).optional(),
  brokers: z.string().optional(),
  stateDir: z.string().optional(),
});

export function register(program: Command): void {
  const cmd = program
    .command("ingest")
    .description("mine seed functions from a corpus (filter, decontaminate, deduplicate) into the seeds topic or a JSONL file")
    .argument("[paths...]", "folders, .py files, or .jsonl/.jsonl.gz/.parquet dumps in The Stack's shape (default: the local Python's standard library)")
    .option("--limit <n>", "stop after emitting this many seeds")
    .option("--output <file>", "append seeds to this JSONL file instead of publishing to the seeds topic")
    .option("--stats", "print the funnel table on stdout at the end")
    .option("--json", "with --stats: print the funnel as JSON")
    .option("--no-typecheck", "skip the Pyright type check (much faster)")
    .option("--judge", "ask the base model (LLM_BASE_URL, LLM_MODEL) whether each docstring matches its code, as the reference's last filter")
    .option("--methods", "also mine methods and nested functions (the reference takes module-level functions only)")
    .option("--batch-size <n>", "functions per Pyright run (default 1000)")
    .option("--max-lines <n>", "drop functions longer than this (default 150)")
    .option("--python-version <v>", "Python version Pyright checks against (default 3.11)")
    .option("--benchmarks <dir>", "folder of benchmark JSONL(.gz) files (env SCA_BENCHMARKS_DIR, default services/decontam/benchmarks, the ones shipped)")
    .option("--extra-benchmarks <dir...>", "more folders of benchmark JSONL files, e.g. MBPP, DS-1000 (env SCA_EXTRA_BENCHMARKS_DIR)")
    .option("--dedup-dir <dir>", "dedup state shared by every ingest (env SCA_DEDUP_DIR, default <state dir>/seeds-dedup)")
    .option("--dedup-threshold <j>", "MinHash Jaccard threshold for near-duplicates (default 0.5)")
    .option("--run-id <id>", "run id recorded in each seed's lineage (default: a new UUID)")
    .option("--transport <kind>", "kafka | embedded (env SCA_TRANSPORT, default embedded)")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)");
  stateOption(cmd, "state folder: embedded log and dedup state (env SCA_STATE_DIR, default .sca-state)").action(
    async (paths: string[], raw: Record<string, unknown>) => {
      const parsed = Flags.safeParse(withStateDir(raw));
      if (!parsed.success) throw new Error(`invalid ingest options: ${describeZodError(parsed.error, raw)}`);
      await runIngest(paths, parsed.data);
    },
  );
}

async function runIngest(paths: string[], f: z.infer<typeof Flags>): Promise<void> {
  // loaded here, not at start-up: every other sca command would pay for the parser and Pyright glue
  const [
    { SingleBar },
    { defaultBenchmarksDir, loadBenchmarks },
    { Decontaminator },
    { buildCodec, buildTransport, loadRuntimeConfig },
    { openCorpus },
    { DedupState },
    { pythonParser },
    { DEFAULT_MINHASH },
    { ingest },
    { DEFAULT_PYRIGHT },
    { JsonlSink, TopicSink },
    { pythonStdlibDir },
  ] = await Promise.all([
    import("cli-progress"),
    import("../../decontam/benchmarks.ts"),
    import("../../decontam/matcher.ts"),
    import("../../runtime/config.ts"),
    import("../../seeds/corpus.ts"),
    import("../../seeds/dedup-state.ts"),
    import("../../seeds/grammar.ts"),
    import("../../minhash/minhash.ts"),
    import("../../seeds/pipeline.ts"),
    import("../../seeds/pyright.ts"),
    import("../../seeds/sinks.ts"),
    import("../../seeds/stdlib.ts"),
  ]);
  const judge = f.judge ? await judgeClient() : null;
  const cfg = loadRuntimeConfig(process.env, { transport: f.transport, brokers: f.brokers, stateDir: f.stateDir });
  const inputs = paths.length > 0 ? paths : [pythonStdlibDir()];
  const corpus = openCorpus(inputs);
  const extra = [...f.extraBenchmarks, ...(process.env.SCA_EXTRA_BENCHMARKS_DIR ? [process.env.SCA_EXTRA_BENCHMARKS_DIR] : [])];
  const decontaminator = new Decontaminator(loadBenchmarks([f.benchmarks ? resolve(f.benchmarks) : defaultBenchmarksDir(), ...extra]), "exact");
  const dedupDir = f.dedupDir ?? process.env.SCA_DEDUP_DIR ?? resolve(cfg.stateDir, "seeds-dedup");
  const dedup = DedupState.open(dedupDir, { ...DEFAULT_MINHASH, threshold: f.dedupThreshold });
  let transport: Transport | undefined;
  let sink: SeedSink;
  if (f.output) {
    sink = new JsonlSink(f.output);
  } else {
    transport = await buildTransport(cfg);
    sink = await TopicSink.open(transport, await buildCodec(cfg));
  }
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: "ingest [{bar}] {value}/{total} files | {functions} functions | {seeds} seeds", stream: process.stderr })
    : null;
  bar?.start(corpus.total ?? 0, 0, { functions: 0, seeds: 0 });
  let funnel: Funnel;
  try {
    funnel = await ingest({
      parser: await pythonParser(),
      corpus,
      decontaminator,
      dedup,
      sink,
      pyright: f.typecheck ? { ...DEFAULT_PYRIGHT, pythonVersion: f.pythonVersion } : null,
      maxLines: f.maxLines,
      judge,
      methods: f.methods,
      batchSize: f.batchSize,
      limit: f.limit,
      run: { run_id: f.runId ?? randomUUID(), created_at: new Date().toISOString() },
      onProgress: (files, fun) => bar?.update(files, { functions: fun.functions, seeds: fun.seeds }),
    });
  } finally {
    bar?.stop();
    await sink.close();
    dedup.close();
    await transport?.close();
  }
  const where = f.output ? f.output : `topic seeds (${cfg.transport})`;
  if (f.stats) {
    console.log(f.json ? JSON.stringify(funnel.toJSON(), null, 2) : funnel.table());
  } else {
    console.error(funnel.table());
  }
  console.error(`${funnel.seeds} new seeds → ${where}; dedup state: ${dedupDir}`);
}

async function judgeClient() {
  const [{ LlmClient }, { llmConfigFromEnv }] = await Promise.all([import("../../llm/client.ts"), import("../../llm/config.ts")]);
  return new LlmClient(llmConfigFromEnv(process.env));
}
