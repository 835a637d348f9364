import type { Command } from "commander";
import { z } from "zod";
import { countByReason, describeEntry, dlqOf, readDlq } from "../../pipeline/dlq-inspect.ts";
import { DLQ_REASONS, redrive } from "../../pipeline/dlq-redrive.ts";
import { PIPELINE_STAGES } from "../../../schemas/stages.ts";
import { describeZodError } from "../../shared/zod-error.ts";
import { buildCodec, buildTransport, loadRuntimeConfig } from "../../runtime/config.ts";

const Runtime = z.object({
  transport: z.enum(["kafka", "embedded"]).optional(),
  brokers: z.string().optional(),
  registryUrl: z.url().optional(),
  stateDir: z.string().min(1).optional(),
});
const Stage = z.enum(PIPELINE_STAGES.filter((s) => s !== "sink") as [string, ...string[]]);
const Reason = z.enum(DLQ_REASONS as [string, ...string[]]);

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`invalid ${what}: ${describeZodError(r.error, value)}`);
  return r.data;
}

function runtimeFlags(cmd: Command): Command {
  return cmd
    .option("--transport <kind>", "kafka | embedded (env SCA_TRANSPORT, default embedded)")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)")
    .option("--registry-url <url>", "schema registry (env SCHEMA_REGISTRY_URL)")
    .option("--state-dir <dir>", "embedded log location (env SCA_STATE_DIR, default .sca-state; `sca run --state`); not while `sca run` holds it");
}

async function withRuntime<T>(
  raw: Record<string, unknown>,
  f: (t: Awaited<ReturnType<typeof buildTransport>>, c: Awaited<ReturnType<typeof buildCodec>>) => Promise<T>,
): Promise<T> {
  const flags = parse(Runtime, { transport: raw.transport, brokers: raw.brokers, registryUrl: raw.registryUrl, stateDir: raw.stateDir }, "options");
  const cfg = loadRuntimeConfig(process.env, flags);
  const transport = await buildTransport(cfg);
  try {
    return await f(transport, await buildCodec(cfg));
  } finally {
    await transport.close();
  }
}

export function register(program: Command): void {
  const dlq = program.command("dlq").description("records a stage gave up on (bad in themselves, never victims of an outage): count, inspect, put back");

  runtimeFlags(
    dlq
      .command("list")
      .argument("[stage]", `one of ${Stage.options.join(", ")} (default: all)`)
      .description("DLQ records per stage, counted by reason"),
  ).action(async (stage: string | undefined, raw: Record<string, unknown>) => {
    const stages = stage ? [parse(Stage, stage, "stage")] : Stage.options;
    await withRuntime(raw, async (transport, codec) => {
      const rows = [["stage", "dlq topic", "reason", "records"]];
      for (const s of stages) {
        const counts = countByReason(await readDlq(transport, codec, s));
        if (counts.size === 0) rows.push([s, dlqOf(s), "-", "0"]);
        for (const [reason, n] of counts) rows.push([s, dlqOf(s), reason, String(n)]);
      }
      const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      process.stdout.write(rows.map((r) => r.map((v, i) => (i === 3 ? v.padStart(w[i]) : v.padEnd(w[i]))).join("  ")).join("\n") + "\n");
    });
  });

  runtimeFlags(
    dlq
      .command("show")
      .argument("<stage>", Stage.options.join(" | "))
      .option("--reason <reason>", DLQ_REASONS.join(" | "))
      .option("--limit <n>", "entries to print (default 10)", "10")
      .description("the DLQ envelopes of a stage as JSON lines: reason, error, attempts, and the original record decoded where it can be"),
  ).action(async (stage: string, raw: Record<string, unknown>) => {
    const s = parse(Stage, stage, "stage");
    const reason = raw.reason === undefined ? undefined : parse(Reason, raw.reason, "--reason");
    const limit = parse(z.coerce.number().int().positive(), raw.limit, "--limit");
    await withRuntime(raw, async (transport, codec) => {
      const entries = (await readDlq(transport, codec, s)).filter((e) => !reason || e.envelope.reason === reason);
      for (const e of entries.slice(0, limit)) process.stdout.write(JSON.stringify(await describeEntry(codec, e)) + "\n");
      if (entries.length > limit) process.stderr.write(`${entries.length - limit} more; raise --limit to see them\n`);
    });
  });

  runtimeFlags(
    dlq
      .command("redrive")
      .argument("<stage>", Stage.options.join(" | "))
      .option("--reason <reason>", `only this reason: ${DLQ_REASONS.join(" | ")} (default: every reason)`)
      .description("put a stage's DLQ records back on its input, exactly once: rerunning (or resuming an interrupted) redrive re-injects nothing twice"),
  ).action(async (stage: string, raw: Record<string, unknown>) => {
    const s = parse(Stage, stage, "stage");
    const reasons = raw.reason === undefined ? DLQ_REASONS : [parse(Reason, raw.reason, "--reason")];
    await withRuntime(raw, async (transport, codec) => {
      let total = 0;
      for (const reason of reasons) {
        const r = await redrive(transport, codec, s, reason as (typeof DLQ_REASONS)[number]);
        total += r.redriven;
        if (r.redriven || r.skipped)
          process.stdout.write(
            `${s} ${reason}: ${r.redriven} redriven${r.skipped ? `, ${r.skipped} per-sample entries left (redriving one sample would repeat its instruction's others)` : ""}\n`,
          );
      }
      process.stdout.write(
        `${total} records put back on ${dlqOf(s).replace(/\.dlq$/, "")}; \`sca run\` with the same --state (or the running services) will process them\n`,
      );
    });
  });
}
