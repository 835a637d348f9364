import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../services/sandbox/index.ts";

const ok = { code: "def f():\n    return 1\n", tests: "assert f() == 1\n" };

describe("warm pool (bwrap)", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ backend: "bwrap", concurrency: 2, maxRunsPerWorker: 3, limits: { timeoutSeconds: 5, memoryMb: 512 } });
    await sandbox.warm();
  });
  afterAll(() => sandbox?.close());

  it("runs programs on as many workers at once as its concurrency", async () => {
    // Each program reports when it ran: the two intervals overlap only if they ran at the same time.
    const nap = { code: "import time\nt0 = time.time()\ntime.sleep(1)\nprint(t0, time.time())\n", tests: "" };
    const [a, b] = await Promise.all([sandbox.run(nap), sandbox.run(nap)]);
    expect([a.status, b.status]).toEqual(["pass", "pass"]);
    expect(a.worker).not.toBe(b.worker);
    const [aStart, aEnd] = a.stdout_tail.trim().split(" ").map(Number);
    const [bStart, bEnd] = b.stdout_tail.trim().split(" ").map(Number);
    expect(aStart < bEnd && bStart < aEnd).toBe(true);
  });

  it("replaces a worker after maxRunsPerWorker executions", async () => {
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push((await sandbox.run(ok)).worker);
    // 3 runs at most per worker, whatever the two workers' earlier history: at least two distinct ones.
    expect(new Set(seen).size).toBeGreaterThan(1);
  });

  it("refuses a per-run memory limit above what the workers were sized for, and accepts a lower one", async () => {
    await expect(sandbox.run(ok, { memoryMb: 1024 })).rejects.toThrow(/memoryMb 1024 exceeds the 512 MiB/);
    const r = await sandbox.run({ code: "x = bytearray(200 * 2**20)\n", tests: "" }, { memoryMb: 128 });
    expect(r.status).toBe("memory");
  });
});

describe("infrastructure failure (docker:runc)", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ backend: "docker", runtime: "runc", concurrency: 1, limits: { timeoutSeconds: 10 } });
    await sandbox.warm();
  });
  afterAll(() => sandbox?.close());

  it("reports a container killed mid-run as sandbox_error, never as a verdict on the code, and replaces it", async () => {
    const first = await sandbox.run(ok);
    expect(first.status).toBe("pass");
    const container = new Docker().getContainer(first.worker.split(":")[1]);
    const running = sandbox.run({ code: "import time\ntime.sleep(5)\n", tests: "" });
    await new Promise((r) => setTimeout(r, 500));
    await container.kill();
    const killed = await running;
    expect(killed.status).toBe("sandbox_error");
    expect(killed.error).toMatch(/supervisor/);
    const next = await sandbox.run(ok);
    expect(next.status).toBe("pass");
    expect(next.worker).not.toBe(first.worker);
  });
});
