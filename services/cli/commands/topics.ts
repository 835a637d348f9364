import type { Command } from "commander";
import { z } from "zod";
import { allTopicSpecs } from "../../../schemas/topics.ts";
import { describeZodError } from "../../shared/zod-error.ts";
import { differences, formatRetention, table, type TopicState, topicConfigOf } from "../catalogue-report.ts";
import { KafkaTransport, parseBrokers } from "../../runtime/kafka/index.ts";

const Flags = z.object({
  brokers: z.string().optional(),
  replicationFactor: z.coerce.number().int().positive().optional(),
});

interface RawFlags {
  brokers?: string;
  replicationFactor?: string;
}

function connect(raw: RawFlags): KafkaTransport {
  const r = Flags.safeParse(raw);
  if (!r.success) throw new Error(`invalid flags: ${describeZodError(r.error, raw)}`);
  const brokers = parseBrokers(r.data.brokers ?? process.env.KAFKA_BROKERS, r.data.brokers ? "--brokers" : "KAFKA_BROKERS (or --brokers)");
  return new KafkaTransport({ brokers, clientId: "sca-topics", replicationFactor: r.data.replicationFactor });
}

async function clusterState(t: KafkaTransport): Promise<Map<string, TopicState>> {
  const admin = t.admin();
  const existing = new Set(await admin.listTopics());
  const names = allTopicSpecs()
    .map((s) => s.name)
    .filter((n) => existing.has(n));
  const settings = await admin.topicSettings(names);
  const out = new Map<string, TopicState>();
  for (const name of names) {
    const parts = await admin.describeTopic(name);
    out.set(name, {
      partitions: parts.length,
      records: parts.reduce((n, p) => n + Number(p.high) - Number(p.low), 0),
      ...settings.get(name),
    });
  }
  return out;
}

/** Rows for every catalogue topic: what it should be, what the cluster has, and how they differ. */
function report(state: Map<string, TopicState>, created: Set<string> = new Set()): { text: string; problems: number } {
  let problems = 0;
  const rows = allTopicSpecs().map((spec) => {
    const have = state.get(spec.name);
    const diff = differences(spec, have);
    if (diff.length) problems++;
    const status = diff.length ? diff.join("; ") : created.has(spec.name) ? "created" : "ok";
    return [
      spec.name,
      spec.key,
      `${have?.partitions ?? "-"}/${spec.partitions}`,
      formatRetention(spec.retentionMs),
      spec.compacted ? "yes" : "no",
      String(have?.records ?? "-"),
      spec.producedBy,
      spec.consumedBy.join(",") || "-",
      status,
    ];
  });
  const text = table(["topic", "key", "partitions", "retention", "compacted", "records", "written by", "read by", "status"], rows);
  return { text, problems };
}

export function register(program: Command): void {
  const topics = program.command("topics").description("provision and inspect the topic catalogue (schemas/topics.ts) on a Kafka cluster");

  topics
    .command("create")
    .description("create every catalogue topic that does not exist yet (partitions, retention, compaction); existing ones are left alone and checked")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)")
    .option("--replication-factor <n>", "replicas per partition (default: the broker's default.replication.factor)")
    .action(async (flags: RawFlags) => {
      const t = connect(flags);
      try {
        const before = new Set(await t.admin().listTopics());
        await t.admin().createTopics(allTopicSpecs().map(topicConfigOf));
        const created = new Set(
          allTopicSpecs()
            .map((s) => s.name)
            .filter((n) => !before.has(n)),
        );
        const { text, problems } = report(await clusterState(t), created);
        console.log(text);
        console.log(`\n${created.size} created, ${allTopicSpecs().length - created.size} existed${problems ? `, ${problems} differ from the catalogue` : ""}`);
        if (problems) process.exitCode = 1;
      } finally {
        await t.close();
      }
    });

  topics
    .command("describe")
    .description("show each catalogue topic as the cluster has it; exits 1 if any is missing or differs")
    .option("--brokers <list>", "Kafka brokers host:port[,...] (env KAFKA_BROKERS)")
    .action(async (flags: RawFlags) => {
      const t = connect(flags);
      try {
        const { text, problems } = report(await clusterState(t));
        console.log(text);
        if (problems) {
          console.log(`\n${problems} of ${allTopicSpecs().length} topics missing or different from the catalogue: run \`sca topics create\``);
          process.exitCode = 1;
        }
      } finally {
        await t.close();
      }
    });
}
