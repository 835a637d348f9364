import type { Command } from "commander";
import { runFromCli, stageSettingFlags } from "../run-command.ts";
import { checkRunInputs } from "../../pipeline/run-inputs.ts";
import { RunOptions } from "../../pipeline/run-options.ts";
import { PIPELINE_STAGES } from "../../../schemas/stages.ts";
import { describeZodError } from "../../shared/zod-error.ts";

export function register(program: Command): void {
  const cmd = program
    .command("run")
    .description(`every stage (${PIPELINE_STAGES.join(" → ")}) in one process over the embedded log: a corpus in, a verified dataset out`)
    .argument("[corpus...]", "folders, .py files or .jsonl(.gz)/.parquet dumps to mine (default: the local Python standard library)")
    .option("--corpus <path...>", "same as the positional corpus paths")
    .option("--seeds <file>", "take seed records from this JSONL file (as `sca ingest --output` writes) instead of mining a corpus")
    .option("--limit <n>", "seeds to take (default 10, with the local CPU model too)")
    .option("--no-typecheck", "skip the Pyright check while mining seeds (faster)")
    .option(
      "--spread-seeds",
      "take the seeds spread over the corpus: files in a shuffled order (by SCA_SEED), public functions outside test files, one per file (default with the local CPU model)",
    )
    .option("--no-spread-seeds", "take the seeds in corpus order, every function the filters pass (default with a real LLM server)")
    .option("--no-judge", "skip the seed quality judge (the reference's last seed filter; on with a real LLM server, always off on the CPU model)");
  stageSettingFlags(cmd).action(async (corpus: string[], raw: Record<string, unknown>) => {
    const input = { ...raw, corpus: [...corpus, ...((raw.corpus as string[] | undefined) ?? [])] };
    const parsed = RunOptions.safeParse(input);
    if (!parsed.success) throw new Error(`invalid run options: ${describeZodError(parsed.error, input)}`);
    await checkRunInputs(parsed.data, process.env);
    await runFromCli(parsed.data);
  });
}
