import { LlmClient } from "../llm/client.ts";
import { llmConfigFromEnv } from "../llm/config.ts";
import { join } from "node:path";
import type { Logger } from "pino";
import { seedBenchmarks } from "../decontam/benchmarks.ts";
import { Decontaminator } from "../decontam/matcher.ts";
import type { Codec } from "../runtime/codec.ts";
import type { Transport } from "../runtime/transport.ts";
import { openCorpus } from "../seeds/corpus.ts";
import { DedupState } from "../seeds/dedup-state.ts";
import { pythonParser } from "../seeds/grammar.ts";
import { DEFAULT_MINHASH } from "../minhash/minhash.ts";
import { ingest } from "../seeds/pipeline.ts";
import { DEFAULT_PYRIGHT } from "../seeds/pyright.ts";
import { pythonStdlibDir } from "../seeds/stdlib.ts";
import { readSeedFile } from "./seed-file.ts";
import { SeedPublisher } from "./seed-publisher.ts";

export interface IngestSeedsOptions {
  transport: Transport;
  codec: Codec;
  /** A JSONL file of seed records; else the corpus is mined. */
  seedsFile?: string;
  /** Folders/files to mine; empty means the local Python standard library. */
  corpus: string[];
  limit: number;
  stateDir: string;
  typecheck: boolean;
  /** Spread the seeds over the corpus, its files shuffled by this seed (ingest's `spread`); absent: corpus order. */
  spreadSeed?: number;
  /** Ask the configured LLM whether each docstring matches its code (the reference's last seed filter). */
  judge?: boolean;
  runId: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/** Fills the seeds topic up to `limit` seeds, resuming where an interrupted run stopped. Returns the seeds in the topic. */
export async function ingestSeeds(o: IngestSeedsOptions): Promise<number> {
  const publisher = await SeedPublisher.open(o.transport, o.codec, o.limit);
  try {
    if (publisher.full) return publisher.published;
    if (o.seedsFile) {
      for await (const seed of readSeedFile(o.seedsFile)) if (!(await publisher.write(seed))) break;
      return publisher.published;
    }
    const inputs = o.corpus.length > 0 ? o.corpus : [pythonStdlibDir(o.env)];
    // The dedup index remembers every seed published before, so a resumed run mines new ones only.
    const dedup = DedupState.open(join(o.stateDir, "seeds-dedup"), { ...DEFAULT_MINHASH, threshold: 0.5 });
    try {
      const funnel = await ingest({
        parser: await pythonParser(),
        corpus: openCorpus(inputs, { shuffleSeed: o.spreadSeed }),
        spread: o.spreadSeed !== undefined,
        decontaminator: new Decontaminator(seedBenchmarks(o.env), "exact"),
        dedup,
        sink: { write: async (s) => void (await publisher.write(s)), flush: () => publisher.flush(), close: async () => {} },
        pyright: o.typecheck ? DEFAULT_PYRIGHT : null,
        judge: o.judge ? new LlmClient(llmConfigFromEnv(o.env)) : null,
        maxLines: 150,
        // Pyright checks candidates in batches: small limits should not wait for a thousand.
        batchSize: Math.min(1000, Math.max(32, 4 * (o.limit - publisher.published))),
        limit: o.limit - publisher.published,
        run: { run_id: o.runId, created_at: new Date().toISOString() },
      });
      o.log.info({ funnel: funnel.toJSON() }, "corpus mined");
    } finally {
      dedup.close();
    }
    return publisher.published;
  } finally {
    await publisher.close();
  }
}
