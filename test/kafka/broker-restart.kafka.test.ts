import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import type { LogRecord, OffsetCommit } from "../../services/runtime/transport.ts";
import { drain, until } from "../runtime/support/drain.ts";
import { quietLog } from "./env.ts";
import { startPrivateBroker } from "./private-broker.ts";

const run = promisify(execFile);
const TOTAL = 1_500;

/**
 * The broker goes down and comes back (same data dir) while a producer is still writing and a
 * consume–transform–produce loop is committing: both must recover on their own, and the output,
 * read committed, must hold every input exactly once.
 */
describe("kafka transport across a broker restart", () => {
  it("producer and transactional consumer reconnect and finish with nothing lost or doubled", { timeout: 240_000 }, async () => {
    const broker = await startPrivateBroker();
    const ctl = broker.ctl;
    const t = new KafkaTransport({ brokers: broker.brokers, clientId: "restart-test" }, quietLog);
    const id = randomBytes(4).toString("hex");
    const input = `restart-in-${id}`;
    const output = `restart-out-${id}`;
    const group = `restart-${id}`;
    try {
      await t.admin().createTopics([
        { name: input, partitions: 3 },
        { name: output, partitions: 3 },
      ]);

      // the stage: copy each input to the output, committing every 50 ms what has arrived
      const consumer = await t.consumer({ groupId: group, topic: input, instanceId: "restart-0" });
      const pending: LogRecord[] = [];
      let committed = 0;
      let commitError: unknown;
      await consumer.start({ onRecords: async (rs) => void pending.push(...rs) });
      let stopping = false;
      const committer = (async () => {
        while (!stopping || pending.length) {
          const batch = pending.splice(0, 200);
          if (!batch.length) {
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          const next = new Map<number, OffsetCommit>();
          for (const r of batch) next.set(r.partition, { topic: input, partition: r.partition, offset: String(Number(r.offset) + 1) });
          await consumer.commit(
            batch.map((r) => ({ topic: output, key: r.key, value: Buffer.from(`out:${r.value.toString()}`) })),
            [...next.values()],
          );
          committed += batch.length;
        }
      })().catch((e) => {
        commitError = e;
      });

      // the producer keeps writing through the outage
      const producer = await t.producer();
      let sent = 0;
      const writing = (async () => {
        while (sent < TOTAL) {
          const n = Math.min(50, TOTAL - sent);
          await producer.send(Array.from({ length: n }, (_, i) => ({ topic: input, key: `k${sent + i}`, value: Buffer.from(String(sent + i)) })));
          sent += n;
          await new Promise((r) => setTimeout(r, 10));
        }
      })();

      await until(() => committed >= 500 || commitError !== undefined, "the first 500 records through the stage", 60_000);
      expect(commitError).toBeUndefined();
      const downAt = Date.now();
      await run("bash", [ctl, "stop"]);
      // long enough for kafkajs to exhaust its own retries somewhere
      await new Promise((r) => setTimeout(r, 10_000));
      await run("bash", [ctl, "start"]);
      const outage = Date.now() - downAt;
      await writing;
      await until(() => committed >= TOTAL || commitError !== undefined, `all ${TOTAL} records through the stage (at ${committed})`, 180_000);
      stopping = true;
      await committer;
      expect(commitError).toBeUndefined();
      await producer.close();
      await consumer.close();
      expect(outage).toBeGreaterThan(10_000);

      const out = await drain(t, output, { min: TOTAL, quietMs: 1_000, timeoutMs: 60_000 });
      const values = out.map((r) => r.value.toString());
      expect(values.length).toBe(TOTAL);
      expect(new Set(values).size).toBe(TOTAL);
      expect(new Set(values)).toEqual(new Set(Array.from({ length: TOTAL }, (_, i) => `out:${i}`)));
      const offsets = await t.admin().groupOffsets(group, input);
      const inputs = await t.admin().describeTopic(input);
      expect(offsets.map((o) => o.offset)).toEqual(inputs.map((p) => p.high));
    } finally {
      await t.close();
      await broker.stop();
    }
  });
});
