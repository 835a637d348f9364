import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { pino } from "pino";
import { describeZodError } from "../../runtime/codec.ts";
import { PIPELINE_STAGES, runPipeline } from "../../pipeline/pipeline.ts";
import { barsView, linesView, type ProgressView } from "../../pipeline/progress.ts";
import { RunOptions } from "../../pipeline/run-options.ts";
import { policyNames } from "../../selector/policies.ts";

export function register(program: Command): void {
  program
    .command("run")
    .description(`every stage (${PIPELINE_STAGES.join(" → ")}) in one process over the embedded log: a corpus in, a verified dataset out`)
    .argument("[corpus...]", "folders, .py files or .jsonl(.gz)/.parquet dumps to mine (default: the local Python standard library)")
    .option("--corpus <path...>", "same as the positional corpus paths")
    .option("--seeds <file>", "take seed records from this JSONL file (as `sca ingest --output` writes) instead of mining a corpus")
    .option("--limit <n>", "seeds to take (default 10)")
    .option("--samples <n>", "responses sampled per instruction (default 10, as the reference)")
    .option("--out <dir>", "export folder: train.jsonl, train.parquet, README.md, refreshed as rows arrive (default out)")
    .option("--state <dir>", "embedded log and run state; rerunning with the same folder resumes (default .sca-state)")
    .option("--llm-base-url <url>", "OpenAI-compatible server, e.g. vLLM (env LLM_BASE_URL; default: start the local small CPU model)")
    .option("--llm-model <name>", "model name on that server (env LLM_MODEL)")
    .option("--sandbox <backend>", "auto | docker | bwrap (auto: docker when reachable, else bwrap)")
    .option("--sandbox-timeout <seconds>", "wall-clock limit per program (env SCA_SANDBOX_TIMEOUT)")
    .option("--policy <name>", `response selection policy: ${policyNames().join(", ")} (default pass-random)`)
    .option("--straggler-timeout-ms <ms>", "decide an instruction whose samples have not all been judged after this long (default 600000)")
    .option("--no-typecheck", "skip the Pyright check while mining seeds (faster)")
    .option("--progress <mode>", "auto | bars | lines | none (auto: bars on a terminal, lines otherwise)")
    .action(async (corpus: string[], raw: Record<string, unknown>) => {
      const input = { ...raw, corpus: [...corpus, ...((raw.corpus as string[] | undefined) ?? [])] };
      const parsed = RunOptions.safeParse(input);
      if (!parsed.success) throw new Error(`invalid run options: ${describeZodError(parsed.error, input)}`);
      const o = parsed.data;
      mkdirSync(resolve(o.state), { recursive: true });
      const logFile = join(resolve(o.state), "run.log");
      // The terminal belongs to the progress bars; the structured log goes to a file.
      const log = pino({ name: "sca", level: process.env.LOG_LEVEL ?? "info" }, pino.destination({ dest: logFile, mkdir: true, sync: false }));
      const mode = o.progress === "auto" ? (process.stderr.isTTY ? "bars" : "lines") : o.progress;
      const view: ProgressView = mode === "bars" ? barsView(process.stderr) : mode === "lines" ? linesView((l) => process.stderr.write(l + "\n")) : { update() {}, stop() {} };
      const abort = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write(`\n${sig}: finishing in-flight work and stopping; rerun the same command to resume (again to quit at once)\n`);
        abort.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      process.stderr.write(`sca run: state ${resolve(o.state)}, export ${resolve(o.out)}, log ${logFile}\n`);
      const result = await runPipeline(o, { env: process.env, log, view, signal: abort.signal });
      process.stdout.write(`\n${result.table}\n`);
      process.stdout.write(result.interrupted ? `\ninterrupted: rerun the same command to resume\n` : `\ndone: ${result.rows} rows in ${resolve(o.out)} (train.jsonl, train.parquet, README.md)\n`);
      log.flush();
    });
}
