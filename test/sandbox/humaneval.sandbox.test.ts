import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../services/sandbox/index.ts";
import { BACKENDS, humanEval } from "./fixtures.ts";

const tasks = humanEval();

describe.each(BACKENDS)("HumanEval on $name", ({ name, options }) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ ...options, concurrency: 2 });
    await sandbox.warm();
    expect(sandbox.backend).toBe(name);
  });
  afterAll(() => sandbox?.close());

  it("has all 164 tasks", () => expect(tasks).toHaveLength(164));

  it("passes every canonical solution", async () => {
    const results = await Promise.all(tasks.map((t) => sandbox.run({ code: t.code, tests: t.tests })));
    const notPassed = results.flatMap((r, i) => (r.status === "pass" ? [] : [`${tasks[i].id}: ${r.status} ${r.error ?? r.stderr_tail.slice(-300)}`]));
    expect(notPassed).toEqual([]);
  }, 300_000);

  it("fails every solution whose body is `return None`", async () => {
    const results = await Promise.all(tasks.map((t) => sandbox.run({ code: t.broken, tests: t.tests })));
    const notFailed = results.flatMap((r, i) => (r.status === "fail" ? [] : [`${tasks[i].id}: ${r.status} ${r.error ?? ""}`]));
    expect(notFailed).toEqual([]);
  }, 300_000);
});
