import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Codec } from "../../../services/runtime/codec.ts";
import { RegistryCodec } from "../../../services/runtime/registry-codec.ts";
import type { Transport } from "../../../services/runtime/transport.ts";
import { EOS_STAGES, eosTopics } from "./eos-stage.ts";
import { drain } from "./drain.ts";
import { type Item, item, itemCodec, itemSchemas } from "./items.ts";
import { type Child, spawnTs } from "./killer.ts";

/** The exactly-once pipeline on Kafka: each stage its own `sca service` process, killable and restartable. */
export class ServicePipeline {
  readonly topics: ReturnType<typeof eosTopics>;
  /** startedAt: when the service logged "stage started" (consuming), undefined while it boots. */
  private readonly children = new Map<string, Child & { startedAt?: number }>();
  readonly kills: string[] = [];

  /** With a registry URL the services (and this harness) use the Confluent wire format through it. */
  constructor(
    private readonly brokers: string,
    readonly prefix: string,
    private readonly registryUrl?: string,
  ) {
    this.topics = eosTopics(prefix);
    this.codec = registryUrl ? new RegistryCodec({ url: registryUrl, schemas: itemSchemas }) : itemCodec();
  }

  readonly codec: Codec;

  async provision(t: Transport, n: number): Promise<void> {
    const { in: input, ab, bc, out } = this.topics;
    await t
      .admin()
      .createTopics([
        ...[input, ab, bc, out].map((name) => ({ name, partitions: 4 })),
        ...[input, ab, bc].map((name) => ({ name: `${name}.dlq`, partitions: 1 })),
      ]);
    const p = await t.producer();
    for (let i = 0; i < n; i += 1_000) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(1_000, n - i) }, async (_, j) => ({
          topic: input,
          key: `item-${i + j}`,
          value: await this.codec.encode(input, item(i + j)),
        })),
      );
      await p.send(batch);
    }
    await p.close();
  }

  start(stage: string): void {
    // SCA_TEST_LOG_DIR keeps every service's log lines, for when a run needs explaining
    const logDir = process.env.SCA_TEST_LOG_DIR;
    // The same instance id across restarts: the successor's transactional producer fences the killed one
    // and aborts its open transaction at once, instead of read_committed readers waiting for its timeout.
    const entry: Child & { startedAt?: number } = spawnTs(
      [
        "bin/sca.js",
        "service",
        stage,
        "--stage-module",
        "test/runtime/support/eos-stage.ts",
        "--transport",
        "kafka",
        "--brokers",
        this.brokers,
        "--metrics-port",
        "0",
        "--instance-id",
        `${this.prefix}-${stage}`,
        "--group-id",
        `${this.prefix}-${stage}`,
        "--concurrency",
        "64",
        ...(this.registryUrl ? ["--registry-url", this.registryUrl] : []),
      ],
      // SCHEMA_REGISTRY_URL from with-infra.sh must not switch the codec behind the harness' back
      {
        ...process.env,
        SCHEMA_REGISTRY_URL: this.registryUrl ?? "",
        EOS_PREFIX: this.prefix,
        LOG_LEVEL: "info",
        SCA_KAFKA_LOG_LEVEL: "fatal",
        SCA_COMMIT_INTERVAL_MS: "50",
      },
      (line) => {
        if (line.includes('"msg":"stage started"')) entry.startedAt = Date.now();
        if (logDir) appendFileSync(join(logDir, `${this.prefix}-${stage}.log`), `${line}\n`);
      },
    );
    if (logDir) entry.proc.stderr!.on("data", (d: Buffer) => appendFileSync(join(logDir, `${this.prefix}-${stage}.log`), d));
    this.children.set(stage, entry);
  }

  startAll(): void {
    for (const s of EOS_STAGES) this.start(s);
  }

  /** Stages consuming for at least `ms`: killing one that is still booting tests little. */
  upFor(ms: number): string[] {
    return [...this.children].filter(([, c]) => c.startedAt !== undefined && Date.now() - c.startedAt >= ms).map(([s]) => s);
  }

  async kill(stage: string): Promise<void> {
    const child = this.children.get(stage)!;
    if (child.proc.exitCode !== null) throw new Error(`service ${stage} had exited by itself (code ${child.proc.exitCode}): ${child.stderrTail()}`);
    child.proc.kill("SIGKILL");
    await child.exited;
    this.kills.push(stage);
  }

  /** Fails if a service died on its own: they must ride out kills of their neighbours and broker restarts. */
  assertAlive(): void {
    for (const [stage, c] of this.children)
      if (c.proc.exitCode !== null) throw new Error(`service ${stage} exited by itself (code ${c.proc.exitCode}): ${c.stderrTail()}`);
  }

  /** Graceful stop (SIGTERM) once each is consuming (a booting process has no handler yet); each must exit 0. */
  async stopAll(): Promise<void> {
    const deadline = Date.now() + 180_000;
    while ([...this.children.values()].some((c) => c.startedAt === undefined && c.proc.exitCode === null)) {
      if (Date.now() > deadline) throw new Error("services still booting after 180 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const codes = await Promise.all(
      [...this.children].map(async ([stage, c]) => {
        if (c.proc.exitCode !== null) return `${stage}: already exited (${c.proc.exitCode})`;
        c.proc.kill("SIGTERM");
        const timer = setTimeout(() => c.proc.kill("SIGKILL"), 60_000);
        const code = await c.exited;
        clearTimeout(timer);
        if (c.proc.signalCode === "SIGKILL") return `${stage}: still running 60 s after SIGTERM: ${c.stderrTail()}`;
        return code === 0 ? "" : `${stage}: exit ${code}: ${c.stderrTail()}`;
      }),
    );
    this.children.clear();
    const bad = codes.filter(Boolean);
    if (bad.length) throw new Error(`services did not stop cleanly: ${bad.join("; ")}`);
  }

  killAllNow(): void {
    for (const c of this.children.values()) c.proc.kill("SIGKILL");
  }

  /** Records committed by the three stages together; retries the broker's transient answers (a coordinator moving, loading). */
  async progress(t: Transport): Promise<number> {
    const { in: input, ab, bc } = this.topics;
    for (let attempt = 1; ; attempt++) {
      try {
        let sum = 0;
        for (const [stage, topic] of [
          ["eos-a", input],
          ["eos-b", ab],
          ["eos-c", bc],
        ])
          for (const o of await t.admin().groupOffsets(`${this.prefix}-${stage}`, topic)) sum += Number(o.offset);
        return sum;
      } catch (e) {
        if (!(e as { retriable?: boolean }).retriable || attempt >= 30) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

/** Reads the final topic (read_committed) and checks every input arrived exactly once, through all three stages. */
export async function expectExactlyOnce(t: Transport, p: ServicePipeline, n: number): Promise<void> {
  const out = await drain(t, p.topics.out, { min: n, quietMs: 3_000, timeoutMs: 300_000, check: () => p.assertAlive() });
  const items = (await Promise.all(out.map((r) => p.codec.decode(p.topics.out, r.value)))) as Item[];
  const counts = new Map<string, number>();
  for (const x of items) counts.set(x.id, (counts.get(x.id) ?? 0) + 1);
  const dups = [...counts].filter(([, c]) => c > 1);
  expect(dups.slice(0, 5), `${dups.length} duplicated ids`).toEqual([]);
  expect(counts.size).toBe(n);
  expect(items.length).toBe(n);
  for (const x of items) expect(x.hops).toEqual(["eos-a", "eos-b", "eos-c"]);
  for (const dlq of [p.topics.in, p.topics.ab, p.topics.bc].map((name) => `${name}.dlq`)) {
    const parts = await t.admin().describeTopic(dlq);
    expect(
      parts.reduce((a, x) => a + Number(x.high), 0),
      `${dlq} is empty`,
    ).toBe(0);
  }
}
