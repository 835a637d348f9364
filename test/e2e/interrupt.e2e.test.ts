import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSca } from "./support/sca.ts";
import { SAMPLES, seedNames } from "./support/scripted-llm.ts";
import { type Workspace, workspace } from "./support/workspace.ts";

describe("sca run stopped by a signal", () => {
  let ws: Workspace;
  beforeAll(async () => {
    // Slow answers keep the run going long enough for the signal to land mid-stream.
    ws = await workspace(seedNames(3), { delayMs: 1_000 });
  });
  afterAll(() => ws?.close());

  for (const [sig, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`stops gracefully on ${sig} and exits ${code}, as a shell expects`, async () => {
      const { child, done } = spawnSca(["run", "--seeds", ws.seedsFile, "--limit", "100", "--samples", String(SAMPLES), ...ws.flags(sig)]);
      // The run is under way once it has printed where its state lives.
      let stderr = "";
      await new Promise<void>((resolve) => child.stderr!.on("data", (d: Buffer) => ((stderr += d.toString()), stderr.includes("state ") && resolve())));
      await new Promise((r) => setTimeout(r, 3_000));
      child.kill(sig);
      const r = await done;
      expect(r.stderr).toContain(`${sig}: finishing in-flight work and stopping`);
      expect(r.stdout).toContain("interrupted: rerun the same command to resume");
      expect(r.code).toBe(code);
    }, 300_000);
  }
});
