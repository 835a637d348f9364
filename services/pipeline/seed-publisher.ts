import type { Seed } from "../../schemas/records.ts";
import type { Codec } from "../runtime/codec.ts";
import type { OutRecord, Producer, Transport } from "../runtime/transport.ts";
import { readTopic } from "./read-topic.ts";

/**
 * Publishes seeds to the `seeds` topic at most once each, across restarts: the ids already in the
 * topic are skipped, so rerunning an interrupted `sca run` neither duplicates a seed nor pays the
 * LLM stages twice for one. Stops accepting after `limit` distinct seeds (those already published count).
 */
export class SeedPublisher {
  private buffer: OutRecord[] = [];
  private count: number;

  private constructor(
    private readonly producer: Producer,
    private readonly codec: Codec,
    private readonly known: Set<string>,
    readonly limit: number,
  ) {
    this.count = known.size;
  }

  static async open(transport: Transport, codec: Codec, limit = Infinity): Promise<SeedPublisher> {
    const known = new Set<string>();
    await readTopic(transport, "seeds", (r) => {
      if (r.key) known.add(r.key);
    });
    return new SeedPublisher(await transport.producer(), codec, known, limit);
  }

  get published(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.limit;
  }

  /** Queues a seed; false once the limit is reached. */
  async write(seed: Seed): Promise<boolean> {
    if (this.full) return false;
    if (this.known.has(seed.id)) return true;
    this.known.add(seed.id);
    this.count++;
    this.buffer.push({ topic: "seeds", key: seed.id, value: await this.codec.encode("seeds", seed) });
    if (this.buffer.length >= 64) await this.flush();
    return true;
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    await this.producer.send(batch);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.producer.close();
  }
}
