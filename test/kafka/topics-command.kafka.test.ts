import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { register } from "../../services/cli/commands/topics.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { kafkaBrokers, quietLog } from "./env.ts";

const run = promisify(execFile);
const sca = (...args: string[]) => run(process.execPath, ["bin/sca.js", ...args], { env: { ...process.env, KAFKA_BROKERS: "" } });

/** The command in this process: the real CLI (spawned once below) loads every command, slow on a busy machine. */
async function topics(...args: string[]): Promise<string> {
  const program = new Command("sca").exitOverride();
  register(program);
  const out: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...xs: unknown[]) => void out.push(xs.join(" ")));
  try {
    await program.parseAsync(["node", "sca", "topics", ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join("\n");
}

afterEach(() => {
  process.exitCode = undefined;
});

describe("sca topics on a real broker", () => {
  it("create provisions the whole catalogue; describe then reports it in line, and create is idempotent", { timeout: 300_000 }, async () => {
    const brokers = kafkaBrokers().join(",");
    const created = await sca("topics", "create", "--brokers", brokers);
    expect(created.stdout).toMatch(/^topic\s+key\s+partitions/);
    const described = await topics("describe", "--brokers", brokers);
    for (const spec of allTopicSpecs()) expect(described).toMatch(new RegExp(`^${spec.name.replace(".", "\\.")}\\s.*\\sok$`, "m"));
    expect(await topics("create", "--brokers", brokers)).toContain(`0 created, ${allTopicSpecs().length} existed`);
    expect(process.exitCode).toBeUndefined();

    const t = new KafkaTransport({ brokers: kafkaBrokers() }, quietLog);
    try {
      const settings = await t.admin().topicSettings(allTopicSpecs().map((s) => s.name));
      for (const spec of allTopicSpecs()) {
        expect((await t.admin().describeTopic(spec.name)).length, spec.name).toBeGreaterThanOrEqual(spec.partitions);
        expect(settings.get(spec.name), spec.name).toEqual({ retentionMs: spec.retentionMs, compacted: spec.compacted });
      }
    } finally {
      await t.close();
    }
  });

  it("fails with a message naming the bad flag or the missing setting", async () => {
    await expect(topics("describe", "--brokers", "localhost")).rejects.toThrow('--brokers: "localhost" is not host:port');
    await expect(topics("create", "--brokers", kafkaBrokers().join(","), "--replication-factor", "zero")).rejects.toThrow(/replicationFactor.*"zero"/);
    const saved = process.env.KAFKA_BROKERS;
    delete process.env.KAFKA_BROKERS;
    try {
      await expect(topics("describe")).rejects.toThrow("KAFKA_BROKERS (or --brokers) is not set");
    } finally {
      process.env.KAFKA_BROKERS = saved;
    }
  });
});
