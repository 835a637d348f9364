import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { DlqEnvelope } from "../../../schemas/records.ts";
import { dlqTopicName } from "../../../schemas/topics.ts";
import { JsonCodec } from "../../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../../services/runtime/embedded/index.ts";
import { StageRunner } from "../../../services/runtime/runner.ts";
import type { StageDef } from "../../../services/runtime/stage.ts";
import { drain } from "./drain.ts";

/**
 * Runs `stage` under the runner on a fresh embedded log with one input record, `value` as JSON, and
 * returns the dead letter it became: how a stage refuses an input its topic's schema rejects (the
 * runner decodes and validates each input once, before the stage sees it).
 */
export async function deadLetterOf(stage: StageDef, value: unknown): Promise<DlqEnvelope> {
  const dir = mkdtempSync(join(tmpdir(), "sca-dead-letter-"));
  const transport = EmbeddedTransport.open(dir, { fsync: false });
  const dlq = dlqTopicName(stage.input);
  try {
    await transport.admin().createTopics([stage.input, dlq, ...stage.outputs].map((name) => ({ name, partitions: 1 })));
    const p = await transport.producer();
    await p.send([{ topic: stage.input, key: "k0", value: Buffer.from(JSON.stringify(value)) }]);
    await p.close();
    const runner = new StageRunner({
      transport,
      codec: new JsonCodec(),
      stage,
      registry: new Registry(),
      log: pino({ level: "silent" }),
      commitIntervalMs: 20,
    });
    await runner.start();
    try {
      const [record] = await drain(transport, dlq, { min: 1 });
      return DlqEnvelope.parse(JSON.parse(record.value.toString()));
    } finally {
      await runner.close();
    }
  } finally {
    await transport.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
