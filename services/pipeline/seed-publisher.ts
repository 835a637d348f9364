import type { Seed } from "../../schemas/records.ts";
import type { Codec } from "../runtime/codec.ts";
import type { Transport } from "../runtime/transport.ts";
import { TopicSink } from "../seeds/sinks.ts";
import { readTopic } from "../runtime/read-topic.ts";

/**
 * Publishes seeds to the `seeds` topic at most once each, across restarts: the ids already in the
 * topic are skipped, so rerunning an interrupted `sca run` neither duplicates a seed nor pays the
 * LLM stages twice for one. Stops accepting after `limit` distinct seeds (those already published count).
 */
export class SeedPublisher {
  private count: number;

  private constructor(
    private readonly sink: TopicSink,
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
    return new SeedPublisher(new TopicSink(await transport.producer(), codec, 64), known, limit);
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
    await this.sink.write(seed);
    return true;
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}
