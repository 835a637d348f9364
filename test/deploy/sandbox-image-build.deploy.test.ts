import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../services/sandbox/index.ts";
import { humanEval } from "../sandbox/fixtures.ts";
import { ROOT, run } from "./repo.ts";

/**
 * The production sandbox Dockerfile, built (on a Debian base of our own: test/infra/offline-base.sh)
 * and used through the verdicts stage's own sandbox pool under gVisor. The other sandbox tests use
 * the image build-offline.sh makes; this one holds the Dockerfile to the same contents and behaviour.
 */
const TAG = "sca-sandbox:dockerfile-test";
const docker = (...args: string[]) => run("docker", args);
const tasks = humanEval();

describe("sandbox image, built from its Dockerfile", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    run("bash", ["test/infra/build-image.sh", "sandbox", TAG], { cwd: ROOT });
    sandbox = await createSandbox({ backend: "docker", image: TAG, runtime: "runsc", concurrency: 2 });
    await sandbox.warm();
  }, 900_000);
  afterAll(() => sandbox?.close());

  it("runs as nobody and holds the same interpreter as the image the other tests use", () => {
    const config = JSON.parse(docker("image", "inspect", "--format", "{{json .Config}}", TAG)) as { User: string };
    expect(config.User).toBe("65534:65534");
    const offline = process.env.SCA_SANDBOX_IMAGE;
    expect(offline, "SCA_SANDBOX_IMAGE (set by test/infra/start-docker.sh)").toBeTruthy();
    const version = (image: string) => docker("run", "--rm", "--network", "none", image, "python3", "--version").trim();
    expect(version(TAG)).toMatch(/^Python 3\.\d+\.\d+$/);
    expect(version(TAG)).toBe(version(offline!));
  });

  it("passes every HumanEval canonical solution and fails every `return None` one, under gVisor", async () => {
    expect(sandbox.backend).toBe("docker:runsc");
    const good = await Promise.all(tasks.map((t) => sandbox.run({ code: t.code, tests: t.tests })));
    expect(good.flatMap((r, i) => (r.status === "pass" ? [] : [`${tasks[i].id}: ${r.status} ${r.error ?? r.stderr_tail.slice(-300)}`]))).toEqual([]);
    const bad = await Promise.all(tasks.map((t) => sandbox.run({ code: t.broken, tests: t.tests })));
    expect(bad.flatMap((r, i) => (r.status === "fail" ? [] : [`${tasks[i].id}: ${r.status}`]))).toEqual([]);
  }, 300_000);
});
