import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { kafkaBrokers, quietLog } from "./env.ts";

const run = promisify(execFile);
const sca = (...args: string[]) => run(process.execPath, ["bin/sca.js", ...args], { env: { ...process.env, KAFKA_BROKERS: "" } });

describe("sca topics on a real broker", () => {
  it("create provisions the whole catalogue; describe then reports it in line, and create is idempotent", { timeout: 120_000 }, async () => {
    const brokers = kafkaBrokers().join(",");
    const created = await sca("topics", "create", "--brokers", brokers);
    expect(created.stdout).toMatch(/^topic\s+key\s+partitions/);
    const again = await sca("topics", "create", "--brokers", brokers);
    expect(again.stdout).toContain(`0 created, ${allTopicSpecs().length} existed`);
    const described = await sca("topics", "describe", "--brokers", brokers);
    for (const spec of allTopicSpecs()) expect(described.stdout).toMatch(new RegExp(`^${spec.name.replace(".", "\\.")}\\s.*\\sok$`, "m"));

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

  it("fails with a message naming the bad flag", async () => {
    const err = await sca("topics", "describe", "--brokers", "localhost").catch((e: { stderr: string; code: number }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toContain('--brokers: "localhost" is not host:port');
    const noBrokers = await sca("topics", "describe").catch((e: { stderr: string }) => e);
    expect((noBrokers as { stderr: string }).stderr).toContain("KAFKA_BROKERS (or --brokers) is not set");
  });
});
