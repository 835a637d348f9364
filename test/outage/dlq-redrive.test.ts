import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { REDRIVEN_FROM, redrive } from "../../services/pipeline/dlq-redrive.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { dlqEnvelope } from "../../services/runtime/dlq.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import type { Transport } from "../../services/runtime/transport.ts";
import { forwarding, wrapConsumers } from "../runtime/support/wrap-consumers.ts";

const N = 1_200;

/** The embedded log, except that its consumers crash on their `crashAt`-th commit, before it lands. */
function crashingOnCommit(inner: Transport, crashAt: number): Transport {
  return wrapConsumers(inner, (c) => {
    let commits = 0;
    return {
      ...forwarding(c),
      commit: async (outputs, offsets) => {
        if (++commits === crashAt) throw new Error("crashed before this commit landed");
        return c.commit(outputs, offsets);
      },
    };
  });
}

describe("dlq redrive interrupted and run again", () => {
  let dir: string;
  let transport: EmbeddedTransport;
  const codec = new JsonCodec();
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "sca-redrive-"));
    transport = EmbeddedTransport.open(dir, { fsync: false });
    await transport.admin().createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: Math.min(t.partitions, 3) })));
    const p = await transport.producer();
    const envelopes = Array.from({ length: N }, (_, i) =>
      dlqEnvelope(
        { topic: "seeds", partition: i % 3, offset: String(i), key: `seed-${i}`, value: Buffer.from(JSON.stringify({ n: i })), timestamp: 0, headers: {} },
        "concepts",
        i % 4 === 0 ? "unparsable_output" : "poison",
        "scripted",
        1,
      ),
    );
    await p.send(envelopes.map((e) => ({ topic: "seeds.dlq", key: e.key, value: codec.encode("seeds.dlq", e) as Buffer })));
    await p.close();
  });
  afterEach(async () => {
    await transport.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("re-injects each entry exactly once in total when the first run dies after its first batch", async () => {
    const poison = N - N / 4;
    await expect(redrive(crashingOnCommit(transport, 2), codec, "concepts", "poison")).rejects.toThrow(/crashed/);
    const halfway = await redriven();
    expect(halfway.length).toBeGreaterThan(0);
    expect(halfway.length).toBeLessThan(poison);

    expect((await redrive(transport, codec, "concepts", "poison")).redriven).toBe(poison - halfway.length);
    const all = await redriven();
    expect(all).toHaveLength(poison);
    expect(new Set(all).size).toBe(poison);
    expect((await redrive(transport, codec, "concepts", "poison")).redriven).toBe(0);
    expect(await redriven()).toHaveLength(poison);
  });

  async function redriven(): Promise<string[]> {
    const from: string[] = [];
    await readTopic(transport, "seeds", (r) => {
      if (r.headers[REDRIVEN_FROM]) from.push(r.headers[REDRIVEN_FROM]);
    });
    return from;
  }
});
