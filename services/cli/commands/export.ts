import { resolve } from "node:path";
import type { Command } from "commander";
import { stateOption, withStateDir } from "../state-option.ts";
import { z } from "zod";
import { DatasetSample } from "../../../schemas/records.ts";
import { readTopic } from "../../runtime/read-topic.ts";
import { describeZodError } from "../../shared/zod-error.ts";
import { buildCodec, buildTransport, loadRuntimeConfig } from "../../runtime/config.ts";
import { collectStats } from "../../stages/sink/collect-stats.ts";
import { ExportDir } from "../../stages/sink/export-dir.ts";
import { compact, materialize } from "../../stages/sink/materialize.ts";

const Flags = z.object({
  out: z.string().min(1),
  transport: z.enum(["kafka", "embedded"]).optional(),
  brokers: z.string().optional(),
  registryUrl: z.url().optional(),
  stateDir: z.string().min(1).optional(),
});

export function register(program: Command): void {
  const cmd = program
    .command("export")
    .description(
      "write the dataset topic as it stands to DIR: train.jsonl, train.parquet, README.md (new rows as a new shard; nothing already exported is rewritten unless a row was withdrawn)",
    )
    .requiredOption("--out <dir>", "export folder")
    .option("--transport <kind>", "kafka | embedded (env SCA_TRANSPORT, default embedded)")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)")
    .option("--registry-url <url>", "schema registry (env SCHEMA_REGISTRY_URL)");
  stateOption(cmd, "embedded log location (env SCA_STATE_DIR, default .sca-state)").action(async (raw: Record<string, unknown>) => {
    const r = Flags.safeParse(withStateDir(raw));
    if (!r.success) throw new Error(`invalid export options: ${describeZodError(r.error, raw)}`);
    const { out, ...runtime } = r.data;
    const cfg = loadRuntimeConfig(process.env, runtime);
    const transport = await buildTransport(cfg);
    try {
      const codec = await buildCodec(cfg);
      const bytes: Buffer[] = [];
      await readTopic(transport, "dataset", (rec) => void bytes.push(rec.value));
      const records: DatasetSample[] = [];
      for (const b of bytes) records.push(DatasetSample.parse(await codec.decode("dataset", b)));
      // The topic's compacted view: rows withdrawn since are not resurrected by their old records.
      const dir = ExportDir.open(resolve(out));
      const before = dir.rows.length;
      const res = dir.sync(materialize(dir.rows.slice(), compact(records)));
      dir.writeCard({ stats: await collectStats(transport, codec), config: { transport: cfg.transport, exported_by: "sca export" }, generatedAt: new Date() });
      process.stdout.write(
        `${dir.rows.length} rows in ${resolve(out)} (${before} before, ${res.appended} appended${res.rewritten ? ", files rewritten after withdrawn rows" : ""})\n`,
      );
    } finally {
      await transport.close();
    }
  });
}
