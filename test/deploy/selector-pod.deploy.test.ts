import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { SelectedPair } from "../../schemas/records.ts";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { readTopic } from "../../services/runtime/read-topic.ts";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { RegistryCodec } from "../../services/runtime/registry-codec.ts";
import { quietLog, schemaRegistryUrl } from "../kafka/env.ts";
import { type PrivateBroker, startPrivateBroker } from "../kafka/private-broker.ts";
import { verdict } from "../selector/fixtures.ts";
import { podDockerFlags } from "./pod/docker-flags.ts";
import { freePort, kustomize, ROOT, run } from "./repo.ts";

/**
 * The selector pod as deployed: the built application image, run with the flags the rendered k8s
 * manifests give its pod (uid 1000, read-only root, no capabilities, its volumes and environment;
 * only the cluster's addresses differ). Its partition state lives in LMDB under SCA_STORE_DIR on the
 * `state` emptyDir, which outlives a container restart in the pod: the restarted container restores
 * from its checkpoint, replaying only the changelog's tail, and finishes the rounds it left open.
 * A private broker: the catalogue's topic names are fixed, and the shared broker serves other files.
 */
const TAG = "sca-app:selector-pod-test";
const objs = parseAllDocuments(kustomize(join(ROOT, "k8s", "base"))).map((d) => d.toJS() as Record<string, any>);
const deployment = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "sca-selector")!;
const docker = (...args: string[]) => run("docker", args);
const logsOf = (id: string) => {
  const r = spawnSync("docker", ["logs", id], { encoding: "utf8" });
  return r.stdout + r.stderr;
};

describe("the selector pod, run as the k8s manifests run it", () => {
  let broker: PrivateBroker;
  let t: KafkaTransport;
  /** The pod's `state` emptyDir: a host folder, so that it outlives the container as the kubelet keeps it. */
  const stateDir = mkdtempSync(join(tmpdir(), "sca-selector-pod-"));
  const codec = new RegistryCodec({ url: schemaRegistryUrl() });
  const containers: string[] = [];

  beforeAll(async () => {
    chmodSync(stateDir, 0o777);
    run("bash", ["test/infra/build-image.sh", "app", TAG], { cwd: ROOT });
    broker = await startPrivateBroker();
    t = new KafkaTransport({ brokers: broker.brokers }, quietLog);
    await t
      .admin()
      .createTopics(allTopicSpecs().map((s) => ({ name: s.name, partitions: Math.min(s.partitions, 3), compacted: s.compacted, retentionMs: s.retentionMs })));
  }, 1_500_000);
  afterAll(async () => {
    for (const id of containers) spawnSync("docker", ["rm", "-f", id]);
    await t?.close();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const produce = async (vs: ReturnType<typeof verdict>[]) => {
    const p = await t.producer();
    await p.send(await Promise.all(vs.map(async (v) => ({ topic: "verdicts", key: v.instruction_id, value: await codec.encode("verdicts", v) }))));
    await p.close();
  };

  const drained = async () => {
    const committed = new Map((await t.admin().groupOffsets("selector", "verdicts")).map((o) => [o.partition, o.offset]));
    return (await t.admin().describeTopic("verdicts")).every((p) => p.high === "0" || committed.get(p.partition) === p.high);
  };

  /** One container of the pod: started, waited for until it committed every verdict (`feed` runs once it is ready), stopped with SIGTERM. */
  const container = async (feed: () => Promise<void>): Promise<string> => {
    const port = await freePort();
    const pod = podDockerFlags(objs, "sca-selector", () => "unused", { emptyDirs: { state: stateDir } });
    const endpoints = [`KAFKA_BROKERS=${broker.brokers.join(",")}`, `SCHEMA_REGISTRY_URL=${schemaRegistryUrl()}`, `SCA_METRICS_PORT=${port}`].flatMap((e) => [
      "--env",
      e,
    ]);
    const id = docker(
      "run",
      "-d",
      "--network",
      "host",
      ...pod.flags,
      ...endpoints,
      TAG,
      ...(deployment.spec.template.spec.containers[0].args as string[]),
    ).trim();
    containers.push(id);
    const deadline = Date.now() + 180_000;
    while (
      !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`selector pod not ready in 180 s:\n${logsOf(id).slice(-3000)}`);
      await sleep(250);
    }
    await feed();
    while (!(await drained())) {
      if (Date.now() > deadline) throw new Error(`selector pod did not commit every verdict in 180 s:\n${logsOf(id).slice(-3000)}`);
      await sleep(250);
    }
    docker("stop", "--time", "60", id);
    const state = JSON.parse(docker("inspect", "--format", "{{json .State}}", id)) as { ExitCode: number };
    expect(state.ExitCode, logsOf(id).slice(-3000)).toBe(0);
    return logsOf(id);
  };

  /** `replayed` of each "state restored" line: changelog records read back at an assignment. */
  const restores = (logs: string) =>
    logs
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; replayed?: number })
      .filter((e) => e.msg === "state restored")
      .map((e) => e.replayed ?? 0);

  it("keeps its store on the emptyDir as uid 1000, and a restarted container restores from its checkpoint and finishes the open rounds", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `pod${i}`);
    // Round i: 2 samples, the first passing for even i; the odd-numbered rounds' second sample comes only after the restart.
    const first = names.flatMap((n, i) => (i % 2 ? [verdict(n, 0, 2, "fail")] : [verdict(n, 0, 2, "pass"), verdict(n, 1, 2, "fail")]));
    const second = names.flatMap((n, i) => (i % 2 ? [verdict(n, 1, 2, "pass")] : []));
    // Several commits, so that a checkpoint sits well above the changelog's start.
    await container(async () => {
      for (let i = 0; i < first.length; i += 5) {
        await produce(first.slice(i, i + 5));
        while (!(await drained())) await sleep(100);
      }
    });

    const stores = join(stateDir, "stores");
    const files = readdirSync(stores, { recursive: true }).map(String);
    expect(
      files.some((f) => f.endsWith(".mdb")),
      files.join(", "),
    ).toBe(true);
    expect(statSync(stores).uid).toBe(deployment.spec.template.spec.securityContext.runAsUser);
    let changelog = 0;
    await readTopic(t, "selector.state", () => void changelog++);
    expect(changelog).toBe(first.length);

    const logs = await container(() => produce(second));
    const replayed = restores(logs);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.reduce((a, b) => a + b, 0)).toBeLessThan(changelog / 2);

    const rows: SelectedPair[] = [];
    const decoded: Promise<void>[] = [];
    await readTopic(t, "selected", (r) => void decoded.push(codec.decode("selected", r.value).then((v) => void rows.push(SelectedPair.parse(v)))));
    await Promise.all(decoded);
    const expected = names.map((n, i) => verdict(n, i % 2, 2, "pass").response_id);
    expect(rows.map((r) => r.response_id).sort()).toEqual(expected.sort());
  }, 900_000);
});
