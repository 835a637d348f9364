import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { drain } from "./support/drain.ts";
import { eosTopics } from "./support/eos-stage.ts";
import { type Item, item } from "./support/items.ts";
import { type Child, killPoints, spawnTs } from "./support/killer.ts";

const N = 10_000;
const PREFIX = "eos";
const dir = mkdtempSync(join(tmpdir(), "sca-eos-embedded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("exactly-once on the embedded transport", () => {
  it(`3-stage pipeline over ${N} keyed records, its process SIGKILLed at random moments and restarted: every input exactly once`, async () => {
    const t = eosTopics(PREFIX);
    let transport = EmbeddedTransport.open(dir, { fsync: false });
    await transport
      .admin()
      .createTopics([
        ...[t.in, t.ab, t.bc, t.out].map((name) => ({ name, partitions: 4 })),
        ...[t.in, t.ab, t.bc].map((name) => ({ name: `${name}.dlq`, partitions: 1 })),
      ]);
    const p = await transport.producer();
    for (let i = 0; i < N; i += 1_000)
      await p.send(Array.from({ length: 1_000 }, (_, j) => ({ topic: t.in, key: `item-${i + j}`, value: Buffer.from(JSON.stringify(item(i + j))) })));
    await transport.close();

    const total = 3 * N; // each stage commits every record once
    const points = killPoints(6, 0.05 * total, 0.9 * total);
    const killedAt: number[] = [];
    let progress = 0;
    while (progress < total) {
      let child!: Child;
      const next = points[killedAt.length];
      const reached = new Promise<void>((resolve) => {
        child = spawnTs(["test/runtime/support/eos-embedded-child.ts", dir, PREFIX], process.env, (line) => {
          progress = (JSON.parse(line) as { progress: number }).progress;
          if (progress >= total || (next !== undefined && progress >= next)) resolve();
        });
        void child.exited.then(() => resolve());
      });
      await reached;
      if (child.proc.exitCode !== null) throw new Error(`pipeline process exited by itself (code ${child.proc.exitCode}): ${child.stderrTail()}`);
      if (progress < total) await sleep(Math.random() * 40); // a random moment, not on a progress report
      child.proc.kill("SIGKILL");
      await child.exited;
      if (progress < total) killedAt.push(progress);
    }
    expect(killedAt.length).toBeGreaterThanOrEqual(5);

    transport = EmbeddedTransport.open(dir, { fsync: false });
    try {
      const out = await drain(transport, t.out, { min: N, quietMs: 500 });
      const items = out.map((r) => JSON.parse(r.value.toString()) as Item);
      const ids = new Set(items.map((x) => x.id));
      expect(ids.size).toBe(N);
      expect(items.length).toBe(N);
      for (const x of items) expect(x.hops).toEqual(["eos-a", "eos-b", "eos-c"]);
      for (const r of out) expect(r.key).toBe((JSON.parse(r.value.toString()) as Item).id);
      for (const dlq of [t.in, t.ab, t.bc].map((n) => `${n}.dlq`)) expect((await transport.admin().describeTopic(dlq))[0].high).toBe("0");
    } finally {
      await transport.close();
    }
    console.log(`embedded exactly-once: ${killedAt.length} kills at progress ${killedAt.join(", ")} of ${total}`);
  }, 300_000);
});
