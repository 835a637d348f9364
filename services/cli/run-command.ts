import { mkdirSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { pino } from "pino";
import { policyNames } from "../stages/selector/policies.ts";
import { type PipelineResult, runPipeline } from "../pipeline/pipeline.ts";
import { barsView, linesView, type ProgressView } from "../pipeline/progress.ts";
import type { RunOptions } from "../pipeline/run-options.ts";

/** The flags `sca run` and `sca replay` share: where state and export live, and how the stages behave. */
export function stageSettingFlags(cmd: Command): Command {
  return cmd
    .option("--samples <n>", "responses sampled per instruction (default 10 as the reference; 4 with the local CPU model)")
    .option("--out <dir>", "export folder: train.jsonl, train.parquet, README.md, refreshed as rows arrive (default out)")
    .option("--state <dir>", "embedded log and run state; rerunning with the same folder resumes (default .sca-state)")
    .option("--llm-base-url <url>", "OpenAI-compatible server, e.g. vLLM (env LLM_BASE_URL; default: start the local small CPU model)")
    .option("--llm-model <name>", "model name on that server (env LLM_MODEL); required with --llm-base-url")
    .option("--max-tokens <n>", "completion budget of every LLM stage (env LLM_MAX_TOKENS; default 1536, with the local CPU model 320 and 768 for responses)")
    .option("--sandbox <backend>", "auto | docker | bwrap (auto: docker when reachable, else bwrap)")
    .option("--sandbox-timeout <seconds>", "wall-clock limit per program (env SCA_SANDBOX_TIMEOUT)")
    .option("--policy <name>", `response selection policy: ${policyNames().join(", ")} (default pass-random)`)
    .option("--straggler-timeout-ms <ms>", "decide an instruction whose samples have not all been judged after this long (default 600000)")
    .option("--curation-skip <rules>", "curation rules to switch off, comma-separated (an ablation; env SCA_CURATION_SKIP)")
    .option("--progress <mode>", "auto | bars | lines | none (auto: bars on a terminal, lines otherwise)")
    .option("--metrics-port <port>", "serve /metrics, /healthz, /readyz for Prometheus while running; 0 = any free port (default: none)")
    .option("--max-outage <duration>", "stop (resumable, exit 75) when the LLM server or the sandbox has been down this long, e.g. 90s, 10m, 2h (default 30m)");
}

/** A dependency was down longer than --max-outage: the run stopped before its input was finished (EX_TEMPFAIL). */
export const EXIT_OUTAGE = 75;

function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (osConstants.signals[sig] ?? 0);
}

/**
 * Runs the pipeline (or the replayed part of it) for a command: structured log to <state>/run.log
 * (the terminal belongs to the progress view), Ctrl-C stops gracefully, the funnel table at the end.
 */
export async function runFromCli(o: RunOptions, opts: { stages?: readonly string[]; ingest?: boolean } = {}): Promise<PipelineResult> {
  mkdirSync(resolve(o.state), { recursive: true });
  const logFile = join(resolve(o.state), "run.log");
  const log = pino({ name: "sca", level: process.env.LOG_LEVEL ?? "info" }, pino.destination({ dest: logFile, mkdir: true, sync: false }));
  const mode = o.progress === "auto" ? (process.stderr.isTTY ? "bars" : "lines") : o.progress;
  const view: ProgressView =
    mode === "bars" ? barsView(process.stderr) : mode === "lines" ? linesView((l) => process.stderr.write(l + "\n")) : { update() {}, stop() {} };
  const abort = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(signalExitCode(sig));
    stoppedBy = sig;
    process.stderr.write(`\n${sig}: finishing in-flight work and stopping; rerun the same command to resume (again to quit at once)\n`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stderr.write(`state ${resolve(o.state)}, export ${resolve(o.out)}, log ${logFile}\n`);
  try {
    const result = await runPipeline(o, {
      env: process.env,
      log,
      view,
      signal: abort.signal,
      onMetrics: (url) => process.stderr.write(`metrics ${url}\n`),
      ...opts,
    });
    process.stdout.write(`\n${result.table}\n`);
    if (result.dlqLines.length > 0) process.stdout.write(`\ngiven up on (DLQ; details in ${logFile}):\n${result.dlqLines.map((l) => `  ${l}`).join("\n")}\n`);
    if (result.stopped) {
      process.stdout.write(`\nstopped: ${result.stopped}\nnothing was lost: fix it and rerun the same command to resume\n`);
      process.exitCode = EXIT_OUTAGE;
    } else if (result.interrupted) {
      process.stdout.write(`\ninterrupted: rerun the same command to resume\n`);
      // A shell reports a run stopped by a signal as 128 + its number (130 for Ctrl-C), even though we stopped cleanly.
      process.exitCode = signalExitCode(stoppedBy ?? "SIGINT");
    } else {
      process.stdout.write(`\ndone: ${result.rows} row${result.rows === 1 ? "" : "s"} in ${resolve(o.out)} (train.jsonl, train.parquet, README.md)\n`);
      if (result.zeroRowCause) process.stdout.write(`why no rows: ${result.zeroRowCause}\n`);
    }
    return result;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    log.flush();
  }
}
