import type { Command } from "commander";
import { z } from "zod";
import { runFromCli, stageSettingFlags } from "../run-command.ts";
import { inputOf, ReplayFromSpec, replayedStages, replayOffsets } from "../../pipeline/replay.ts";
import { RunOptions } from "../../pipeline/run-options.ts";
import { PIPELINE_STAGES } from "../../../schemas/stages.ts";
import { describeZodError } from "../../shared/zod-error.ts";
import { buildTransport, loadRuntimeConfig } from "../../runtime/config.ts";

const ReplayFlags = z.object({
  from: ReplayFromSpec,
  toStage: z.string().optional(),
  transport: z.enum(["kafka", "embedded"]).optional(),
  brokers: z.string().optional(),
});

export function register(program: Command): void {
  const cmd = program
    .command("replay")
    .description(
      "re-run a stage from an offset or a time (e.g. re-judge every response with a new sandbox, re-select with a new policy) without paying for the stages before it",
    )
    .argument("<stage>", `the stage to rewind: ${PIPELINE_STAGES.join(", ")}`)
    .requiredOption("--from <where>", "beginning | an offset (on every partition) | an ISO time")
    .option("--to-stage <stage>", "embedded: run the stages from <stage> through this one (default: through sink)")
    .option("--transport <kind>", "kafka | embedded (env SCA_TRANSPORT, default embedded)")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)");
  stageSettingFlags(cmd).action(async (stage: string, raw: Record<string, unknown>) => {
    const { from: rawFrom, toStage, transport, brokers, ...rest } = raw;
    const flags = ReplayFlags.safeParse({ from: rawFrom, toStage, transport, brokers });
    if (!flags.success) throw new Error(`invalid replay options: ${describeZodError(flags.error, raw)}`);
    const run = RunOptions.safeParse(rest);
    if (!run.success) throw new Error(`invalid replay options: ${describeZodError(run.error, rest)}`);
    const stages = replayedStages(stage, flags.data.toStage);
    const cfg = loadRuntimeConfig(process.env, { transport: flags.data.transport, brokers: flags.data.brokers, stateDir: run.data.state });
    if (cfg.transport === "kafka" && flags.data.toStage)
      throw new Error("--to-stage applies to the embedded log; on Kafka the running services downstream pick up the replayed outputs");

    // The group's offsets move while no member runs: `sca run` (or the Kafka service) must be stopped.
    const t = await buildTransport(cfg);
    try {
      const input = inputOf(stage);
      const offsets = await replayOffsets(t.admin(), input, flags.data.from);
      await t.admin().setGroupOffsets(stage, offsets);
      process.stderr.write(`${stage}: group offsets on ${input} set to ${offsets.map((o) => `${o.partition}@${o.offset}`).join(" ")}\n`);
    } finally {
      await t.close();
    }
    if (cfg.transport === "kafka") {
      process.stderr.write(`start the ${stage} service again: it resumes from there, and the services after it consume what it re-emits\n`);
      return;
    }
    await runFromCli(run.data, { stages, ingest: false });
  });
}
