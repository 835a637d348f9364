import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import type { Seed } from "../../schemas/records.ts";
import { TOPICS } from "../../schemas/topics.ts";
import type { Codec } from "../runtime/codec.ts";
import type { OutRecord, Producer, Transport } from "../runtime/transport.ts";

/** Where emitted seeds go. `flush` returns once everything written so far is durable. */
export interface SeedSink {
  write(seed: Seed): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Appends one JSON line per seed to a file: ingestion without any broker. */
export class JsonlSink implements SeedSink {
  private readonly fd: number;
  private buffer: string[] = [];

  constructor(path: string) {
    this.fd = openSync(path, "a");
  }

  async write(seed: Seed): Promise<void> {
    this.buffer.push(JSON.stringify(seed));
    if (this.buffer.length >= 256) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length > 0) {
      writeSync(this.fd, this.buffer.join("\n") + "\n");
      this.buffer = [];
    }
    fsyncSync(this.fd);
  }

  async close(): Promise<void> {
    await this.flush();
    closeSync(this.fd);
  }
}

/** Publishes seeds to the `seeds` topic, keyed by seed id, encoded (and validated) by the codec. */
export class TopicSink implements SeedSink {
  private buffer: OutRecord[] = [];

  /** The topic must exist (`open` creates it); records go out in batches of `batchSize`. */
  constructor(
    private readonly producer: Producer,
    private readonly codec: Codec,
    private readonly batchSize = 256,
  ) {}

  static async open(transport: Transport, codec: Codec): Promise<TopicSink> {
    const t = TOPICS.seeds;
    await transport.admin().createTopics([{ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs, compacted: t.compacted }]);
    return new TopicSink(await transport.producer(), codec);
  }

  async write(seed: Seed): Promise<void> {
    this.buffer.push({ topic: TOPICS.seeds.name, key: seed.id, value: await this.codec.encode(TOPICS.seeds.name, seed) });
    if (this.buffer.length >= this.batchSize) await this.flush();
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
