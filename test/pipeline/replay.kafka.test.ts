import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { runSca, spawnSca } from "../e2e/support/sca.ts";
import { quietLog } from "../kafka/env.ts";
import { type PrivateBroker, startPrivateBroker } from "../kafka/private-broker.ts";

/** `sca replay` on a cluster rewinds the stage's consumer group. A private broker: groups named after stages are in use elsewhere. */
describe("sca replay on Kafka", () => {
  let broker: PrivateBroker;
  let t: KafkaTransport;
  beforeAll(async () => {
    broker = await startPrivateBroker();
    t = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    await t.admin().createTopics([{ name: "responses", partitions: 2 }]);
    const p = await t.producer();
    await p.send(Array.from({ length: 10 }, (_, i) => ({ topic: "responses", key: `k${i}`, value: Buffer.from(`r${i}`) })));
    await p.close();
  });
  afterAll(async () => {
    await t?.close();
    await broker?.stop();
  });

  it("moves the verdicts group back to an offset (clamped per partition), then to the beginning", async () => {
    const highs = await t.admin().describeTopic("responses");
    await t.admin().setGroupOffsets(
      "verdicts",
      highs.map((h) => ({ topic: "responses", partition: h.partition, offset: h.high })),
    );
    const kafka = ["--transport", "kafka", "--brokers", broker.brokers.join(",")];

    const r = await runSca(["replay", "verdicts", "--from", "3", ...kafka]);
    expect(r.stderr).toContain("start the verdicts service again");
    const at3 = await t.admin().groupOffsets("verdicts", "responses");
    for (const h of highs) expect(at3.find((o) => o.partition === h.partition)?.offset).toBe(String(Math.min(3, Number(h.high))));

    await runSca(["replay", "verdicts", "--from", "beginning", ...kafka]);
    expect((await t.admin().groupOffsets("verdicts", "responses")).map((o) => o.offset)).toEqual(highs.map(() => "0"));

    const bad = await spawnSca(["replay", "verdicts", "--from", "beginning", "--to-stage", "selector", ...kafka]).done;
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--to-stage applies to the embedded log");
  });
});
