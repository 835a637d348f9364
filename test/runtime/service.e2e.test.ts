import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { until } from "./support/drain.ts";
import { eosTopics } from "./support/eos-stage.ts";
import { item } from "./support/items.ts";
import { spawnTs } from "./support/killer.ts";

const dir = mkdtempSync(join(tmpdir(), "sca-service-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sca service", () => {
  it("runs a stage as a service with /metrics, /healthz, /readyz, and stops cleanly on SIGTERM", async () => {
    const t = eosTopics("svc");
    const logDir = join(dir, "log");
    let transport = EmbeddedTransport.open(logDir);
    await transport.admin().createTopics([t.in, t.ab, `${t.in}.dlq`].map((name) => ({ name, partitions: 2 })));
    const p = await transport.producer();
    await p.send(Array.from({ length: 200 }, (_, i) => ({ topic: t.in, key: `item-${i}`, value: Buffer.from(JSON.stringify(item(i))) })));
    await p.send([{ topic: t.in, key: "junk", value: Buffer.from("\u0000junk") }]);
    await transport.close();

    let port = 0;
    const child = spawnTs(
      [
        "bin/sca.js",
        "service",
        "eos-a",
        "--stage-module",
        "test/runtime/support/eos-stage.ts",
        "--transport",
        "embedded",
        "--state-dir",
        dir,
        "--metrics-port",
        "0",
        "--concurrency",
        "20",
      ],
      { ...process.env, EOS_PREFIX: "svc", SCA_INSTANCE_ID: "svc-test" },
      (line) => {
        const entry = JSON.parse(line) as { msg: string; port?: number };
        if (entry.msg === "health server listening") port = entry.port!;
      },
    );
    try {
      // the CLI loads every command module through tsx: slow to start on a busy 2-core machine
      await until(() => port > 0 || child.proc.exitCode !== null, "the health server", 120_000);
      expect(child.proc.exitCode, child.stderrTail()).toBeNull();
      const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
      expect((await get("/healthz")).status).toBe(200);
      await until(async () => (await get("/readyz")).status === 200, "/readyz 200");
      let text = "";
      await until(async () => {
        text = await (await get("/metrics")).text();
        return text.includes('sca_records_out_total{stage="eos-a",topic="svc.ab"} 200');
      }, "200 records out in /metrics");
      expect(text).toContain('sca_records_failed_total{stage="eos-a",reason="undecodable"} 1');
      expect(text).toContain('sca_records_in_total{stage="eos-a"} 201');
      expect(text).toMatch(/sca_process_duration_seconds_bucket\{le="600",stage="eos-a"\} \d+/);
      expect(text).toContain("process_cpu_seconds_total");
      expect((await get("/nope")).status).toBe(404);
      child.proc.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      child.proc.kill("SIGKILL");
    }
    transport = EmbeddedTransport.open(logDir);
    try {
      const committed = await transport.admin().groupOffsets("eos-a", t.in);
      expect(committed.reduce((a, o) => a + Number(o.offset), 0)).toBe(201);
      const out = await transport.admin().describeTopic(t.ab);
      expect(out.reduce((a, o) => a + Number(o.high), 0)).toBe(200);
    } finally {
      await transport.close();
    }
  }, 240_000);

  it("fails with a clear message for an unknown stage", async () => {
    const child = spawnTs(["bin/sca.js", "service", "no-such-stage", "--state-dir", dir]);
    expect(await child.exited).toBe(1);
    expect(child.stderrTail()).toMatch(/no stage "no-such-stage": services\/stages\/no-such-stage\/stage.ts does not exist \(known stages: [a-z, -]+\)/);
    expect(child.stderrTail()).not.toMatch(/known stages: .*runtime/);
  }, 120_000);
});
