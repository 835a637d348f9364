import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { SeedPublisher } from "../../services/pipeline/seed-publisher.ts";
import { JsonCodec } from "../../services/runtime/codec.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { seedsFor } from "../e2e/support/scripted-llm.ts";

describe("seed publisher", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sca-seedpub-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("publishes each seed once across restarts and counts the ones already in the log toward the limit", async () => {
    const seeds = seedsFor(["a", "b", "c", "d", "e"]);
    const codec = new JsonCodec();
    let t = EmbeddedTransport.open(dir, { fsync: false });
    await t.admin().createTopics([{ name: "seeds", partitions: 3 }]);
    let p = await SeedPublisher.open(t, codec, 3);
    expect(await p.write(seeds[0])).toBe(true);
    expect(await p.write(seeds[1])).toBe(true);
    await p.close();
    await t.close();

    t = EmbeddedTransport.open(dir, { fsync: false });
    p = await SeedPublisher.open(t, codec, 3);
    expect(p.published).toBe(2);
    // A resumed ingest sees the same seeds first: they are skipped, and only one more fits.
    const accepted = [];
    for (const s of seeds) accepted.push(await p.write(s));
    expect(accepted).toEqual([true, true, true, false, false]);
    await p.close();
    const keys: string[] = [];
    await readTopic(t, "seeds", (r) => void keys.push(r.key!));
    expect(keys.sort()).toEqual([seeds[0].id, seeds[1].id, seeds[2].id].sort());
    await t.close();
  });
});
