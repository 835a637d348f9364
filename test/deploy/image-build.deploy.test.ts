import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { kafkaBrokers, quietLog } from "../kafka/env.ts";
import { installedModelPath } from "../llm/local-model/model-env.ts";
import { item, itemCodec } from "../runtime/support/items.ts";
import { freePort, ROOT, run } from "./repo.ts";

/**
 * The production Dockerfile, built and run: Docker Hub is out of reach here, so
 * test/infra/build-image.sh builds it on a Node base of our own making (see offline-base.sh); every
 * step of the Dockerfile itself runs as written. Then the image is used the way compose and k8s use it.
 */
const TAG = "sca-app:test";
const docker = (...args: string[]) => run("docker", args);

/** `docker run --rm` that may fail: its exit code and both streams. */
function dockerRun(args: string[]): { code: number | null; out: string } {
  const r = spawnSync("docker", ["run", "--rm", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** A container's stdout and stderr (sca logs to both). */
function logsOf(id: string): string {
  const r = spawnSync("docker", ["logs", id], { encoding: "utf8" });
  return r.stdout + r.stderr;
}

describe("application image, built from the Dockerfile", () => {
  beforeAll(() => {
    run("bash", ["test/infra/build-image.sh", "app", TAG], { cwd: ROOT });
  }, 1_500_000);

  it("has sca behind tini as entrypoint and runs as the unprivileged node user", () => {
    const config = JSON.parse(docker("image", "inspect", "--format", "{{json .Config}}", TAG)) as { Entrypoint: string[]; User: string };
    expect(config.Entrypoint).toEqual(["/usr/bin/tini", "--", "sca"]);
    expect(config.User).toBe("node");
    expect(docker("run", "--rm", "--entrypoint", "id", TAG, "-u").trim()).toBe("1000");
    const help = docker("run", "--rm", TAG, "--help");
    for (const cmd of ["run", "service", "topics", "replay", "model"]) expect(help).toMatch(new RegExp(`^\\s+${cmd}\\b`, "m"));
  });

  it("serves the CPU model over the OpenAI API with `sca model serve`, as the k8s dev overlay runs it, and holds no GPU builds", async () => {
    expect(docker("run", "--rm", "--entrypoint", "ls", TAG, "node_modules/@node-llama-cpp").trim().split(/\s+/)).toEqual([`linux-${process.arch}`]);
    const model = await installedModelPath();
    const port = await freePort();
    const id = docker(
      "run",
      "-d",
      "--network",
      "host",
      "-v",
      `${model}:/models/model.gguf:ro`,
      "-e",
      "SCA_MODEL_PATH=/models/model.gguf",
      TAG,
      "model",
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--sequences",
      "1",
      "--context-size",
      "1024",
    ).trim();
    try {
      const deadline = Date.now() + 120_000;
      while (
        !(await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline) throw new Error(`model server in the image not healthy in 120 s:\n${logsOf(id).slice(-2000)}`);
        await sleep(250);
      }
      const res = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "def add(a, b):\n    return", max_tokens: 8, temperature: 0, seed: 1 }),
      });
      const body = (await res.json()) as { choices: Array<{ text: string; finish_reason: string }>; usage: { completion_tokens: number } };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.choices[0].text.length).toBeGreaterThan(0);
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
    } finally {
      spawnSync("docker", ["rm", "-f", id]);
    }
  }, 180_000);

  it("loads a real stage and refuses to start without its LLM settings, naming them", () => {
    const r = dockerRun(["--env", "LLM_BASE_URL=", TAG, "service", "concepts", "--transport", "kafka", "--brokers", "127.0.0.1:1"]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("LLM_BASE_URL");
    expect(r.out).not.toMatch(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/);
  });

  describe("as a Kafka service", () => {
    const prefix = `image-${randomBytes(3).toString("hex")}`;
    const [input, output] = [`${prefix}.0`, `${prefix}.1`];
    const t = new KafkaTransport({ brokers: kafkaBrokers(), clientId: "image-test" }, quietLog);
    let container = "";
    afterAll(async () => {
      if (container) spawnSync("docker", ["rm", "-f", container]);
      await t.close();
    });

    it("consumes, produces, reports ready and metrics, and stops cleanly on SIGTERM", async () => {
      await t.admin().createTopics([input, output, `${input}.dlq`].map((name) => ({ name, partitions: 2 })));
      const n = 200;
      const producer = await t.producer();
      const codec = itemCodec();
      await producer.send(
        await Promise.all(Array.from({ length: n }, async (_, i) => ({ topic: input, key: `item-${i}`, value: await codec.encode(input, item(i)) }))),
      );
      await producer.close();

      const port = await freePort();
      // The stage module is the runtime tests' no-op one, mounted where its imports of services/ resolve.
      container = docker(
        "run",
        "-d",
        "--network",
        "host",
        "-v",
        `${ROOT}/test/runtime/support:/app/test/runtime/support:ro`,
        "-e",
        `NOOP_PREFIX=${prefix}`,
        "-e",
        "SCHEMA_REGISTRY_URL=",
        TAG,
        "service",
        "s0",
        "--stage-module",
        "test/runtime/support/noop-stage.ts",
        "--transport",
        "kafka",
        "--brokers",
        kafkaBrokers().join(","),
        "--metrics-port",
        String(port),
        "--instance-id",
        prefix,
      ).trim();

      const seen = new Set<string>();
      const sink = await t.consumer({ groupId: `${prefix}-sink`, topic: output, instanceId: "sink" });
      await sink.start({
        onRecords: async (rs) => {
          for (const r of rs) seen.add(((await codec.decode(output, r.value)) as { id: string }).id);
        },
      });
      const deadline = Date.now() + 180_000;
      let ready = false;
      while (seen.size < n || !ready) {
        if (Date.now() > deadline) throw new Error(`image service: ${seen.size} of ${n} records out, ready=${ready}; logs:\n${logsOf(container).slice(-3000)}`);
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        await sleep(200);
      }
      await sink.close();
      expect(seen.size).toBe(n);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^sca_records_in_total\\{[^}]*\\} ${n}$`, "m"));

      docker("stop", "--time", "60", container);
      const state = JSON.parse(docker("inspect", "--format", "{{json .State}}", container)) as { ExitCode: number };
      const logs = logsOf(container);
      expect(state.ExitCode, logs.slice(-2000)).toBe(0);
      expect(logs).toContain("stopped");
    }, 300_000);
  });
});
