import type { Command } from "commander";
import { stateOption, withStateDir } from "../state-option.ts";
import { z } from "zod";
import { inputOf, outputOf } from "../../pipeline/replay.ts";
import { PIPELINE_STAGES } from "../../../schemas/stages.ts";
import { stageProgress } from "../../pipeline/stage-progress.ts";
import { describeZodError } from "../../shared/zod-error.ts";
import { buildCodec, buildTransport, loadRuntimeConfig } from "../../runtime/config.ts";
import { collectStats } from "../../stages/sink/collect-stats.ts";
import { describeCuration } from "../../stages/sink/stats.ts";

const Flags = z.object({
  transport: z.enum(["kafka", "embedded"]).optional(),
  brokers: z.string().optional(),
  registryUrl: z.url().optional(),
  stateDir: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

export function register(program: Command): void {
  const cmd = program
    .command("status")
    .description("per stage: records in (committed) and out, lag, DLQ size; pass rates of the sandbox and the selector; what curation dropped, by rule")
    .option("--transport <kind>", "kafka | embedded (env SCA_TRANSPORT, default embedded)")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)")
    .option("--registry-url <url>", "schema registry (env SCHEMA_REGISTRY_URL)")
    .option("--json", "print JSON instead of a table");
  stateOption(cmd, "embedded log location (env SCA_STATE_DIR, default .sca-state); not while `sca run` holds it").action(
    async (raw: Record<string, unknown>) => {
      const r = Flags.safeParse(withStateDir(raw));
      if (!r.success) throw new Error(`invalid status options: ${describeZodError(r.error, raw)}`);
      const { json, ...runtime } = r.data;
      const cfg = loadRuntimeConfig(process.env, runtime);
      const transport = await buildTransport(cfg);
      try {
        const progress = await stageProgress(
          transport.admin(),
          PIPELINE_STAGES.map((stage) => ({ stage, input: inputOf(stage) })),
        );
        const stats = await collectStats(transport, await buildCodec(cfg));
        const judged = Object.values(stats.verdicts).reduce((a, b) => a + (b ?? 0), 0);
        const passRate = (stage: string) =>
          stage === "verdicts" ? rate(stats.verdicts.pass ?? 0, judged) : stage === "selector" ? rate(stats.outcomes.selected, stats.decided) : "";
        const rows = progress.map((p) => ({ ...p, out: outputOf(p.stage) ? (stats.topics[outputOf(p.stage)!] ?? 0) : null, pass_rate: passRate(p.stage) }));
        if (json) {
          process.stdout.write(JSON.stringify({ stages: rows, stats }, null, 2) + "\n");
          return;
        }
        const cells = [
          ["stage", "input", "in", "out", "lag", "DLQ", "pass rate"],
          ...rows.map((x) => [x.stage, x.input, String(x.done), x.out === null ? "-" : String(x.out), String(x.lag), String(x.dlq), x.pass_rate]),
        ];
        const w = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
        process.stdout.write(cells.map((c) => c.map((v, i) => (i < 2 ? v.padEnd(w[i]) : v.padStart(w[i]))).join("  ")).join("\n") + "\n");
        process.stdout.write(
          `verdicts pass rate = passing samples / judged samples (latest per sample); selector pass rate = instructions with a selected response / decided\n`,
        );
        process.stdout.write(`${describeCuration(stats.curation)}\n`);
      } finally {
        await transport.close();
      }
    },
  );
}

function rate(n: number, d: number): string {
  return d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)}% (${n}/${d})`;
}
