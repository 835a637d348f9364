import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSca } from "../e2e/support/sca.ts";
import { seed } from "../llm/support.ts";
import { type ScriptedServer, startScriptedServer } from "../llm/scripted-server.ts";

/** `sca run` with a setup error: it must say so, naming what to fix, before it takes a seed. */
describe("sca run preflight", () => {
  let dir: string;
  let seeds: string;
  let srv: ScriptedServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sca-preflight-"));
    seeds = join(dir, "seeds.jsonl");
    writeFileSync(seeds, [seed(1), seed(2)].map((s) => JSON.stringify(s)).join("\n") + "\n");
    srv = await startScriptedServer({ respond: () => ({ text: "x" }), models: () => ["Qwen/CodeQwen1.5-7B", "bigcode/starcoder2-15b"] });
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (name: string, url: string, model: string) => {
    const started = Date.now();
    const r = await spawnSca([
      "run",
      "--seeds",
      seeds,
      "--state",
      join(dir, name, "state"),
      "--out",
      join(dir, name, "out"),
      "--llm-base-url",
      url,
      "--llm-model",
      model,
      "--sandbox",
      "bwrap",
      "--progress",
      "none",
    ]).done;
    return { ...r, secs: (Date.now() - started) / 1000 };
  };

  it("exits non-zero within 15 s naming an unreachable --llm-base-url", async () => {
    const r = await run("unreachable", "http://127.0.0.1:9/v1", "foo");
    expect(r.code).not.toBe(0);
    expect(r.secs).toBeLessThan(15);
    expect(r.stderr).toContain("http://127.0.0.1:9/v1");
    expect(r.stderr).toMatch(/does not answer.*--llm-base-url/);
    expect(r.stdout).not.toContain("done:");
  }, 30_000);

  it("lists the models the server serves when --llm-model is not one of them", async () => {
    const r = await run("wrong-model", srv.url, "foo");
    expect(r.code).not.toBe(0);
    expect(r.secs).toBeLessThan(15);
    expect(r.stderr).toContain(`does not serve model "foo"; it serves: Qwen/CodeQwen1.5-7B, bigcode/starcoder2-15b`);
    expect(srv.requests).toHaveLength(0);
  }, 30_000);
});
