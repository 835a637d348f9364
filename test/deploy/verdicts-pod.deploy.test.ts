import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { ExecResult } from "../../services/sandbox/index.ts";
import { CASES, caseTimeout, expectContained, FAILING_TESTS, LIMITS, materialise, NEXT_PROGRAM } from "../sandbox/hostile-cases.ts";
import { humanEval } from "../sandbox/fixtures.ts";
import { podDockerFlags } from "./pod/docker-flags.ts";
import { kustomize, ROOT, run } from "./repo.ts";

/**
 * The verdicts pod as deployed: the built application image, run through Docker with the flags the
 * rendered k8s manifests give its pod (user, capabilities, no privilege escalation, seccomp, read-only
 * root with the /tmp volume, environment, memory, the gvisor RuntimeClass's runsc). A manifest change
 * is a change to what runs here. Docker cannot give a runsc container the pod's network (this engine
 * runs runsc with --network=none): the container's own loopback stands for it, with a listener on the
 * service's metrics port that no program may reach.
 */
const TAG = "sca-app:verdicts-pod-test";
const objs = parseAllDocuments(kustomize(join(ROOT, "k8s", "base"))).map((d) => d.toJS() as Record<string, any>);
// The repo's Secret holds placeholders: each run gets values of its own, as an operator's would be.
const pod = podDockerFlags(objs, "sca-verdicts", () => `secret-${randomBytes(12).toString("hex")}`);

/** `docker run --rm -i FLAGS... ARGS...` with `input` on stdin; stdout, and stderr for failures. */
function inPod(args: string[], input: string): string {
  const r = spawnSync("docker", ["run", "--rm", "-i", ...pod.flags, ...args], { input, encoding: "utf8", maxBuffer: 256 << 20, timeout: 1_200_000 });
  if (r.status !== 0) throw new Error(`docker run in the verdicts pod exited ${r.status}:\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

describe("the verdicts pod, run as the k8s manifests run it", () => {
  beforeAll(() => {
    run("bash", ["test/infra/build-image.sh", "app", TAG], { cwd: ROOT });
  }, 1_500_000);

  it("gives the verdicts container no Secret: under gVisor any uid may read another process's /proc/<pid>/environ", () => {
    expect(pod.secretValues).toEqual([]);
  });

  it("judges HumanEval: all 164 canonical solutions pass, all 164 `return None` versions fail", () => {
    const tasks = humanEval();
    const lines = tasks.flatMap((t) => [
      JSON.stringify({ id: `${t.id}/canonical`, code: t.code, tests: t.tests }),
      JSON.stringify({ id: `${t.id}/none`, code: t.broken, tests: t.tests }),
    ]);
    // No retries: a sandbox error is the pod failing, not a verdict.
    const out = inPod([TAG, "sandbox", "run", "--retries", "0", "--input", "/dev/stdin", "--output", "/dev/stdout"], lines.join("\n") + "\n");
    const verdicts = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; status: string; stderr_tail: string });
    expect(verdicts).toHaveLength(2 * tasks.length);
    const wrong = verdicts
      .filter((v) => v.status !== (v.id.endsWith("/canonical") ? "pass" : "fail"))
      .map((v) => `${v.id}: ${v.status} ${v.stderr_tail.slice(-300)}`);
    expect(wrong).toEqual([]);
  }, 1_200_000);

  describe("holds the hostile suite", () => {
    const config = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("sca-config"))!.data;
    const port = Number(config.SCA_METRICS_PORT);
    const ourDir = "/tmp/sca-pod-test";
    const at = { port, hostFile: `${ourDir}/secret.txt`, outside: `${ourDir}/written-from-sandbox` };
    const secret = `file-secret-${randomBytes(12).toString("hex")}`;
    let report: {
      backend: string;
      uid: number;
      results: Array<{ result: ExecResult; seen: { connections: number; outsideWritten: boolean; leftover: number }; next: ExecResult }>;
    };

    beforeAll(() => {
      const input = {
        limits: LIMITS,
        port,
        ourFile: at.hostFile,
        secret,
        outside: at.outside,
        programs: CASES.map((c) => ({ code: materialise(c, at), tests: c.expect === "pass" ? "" : FAILING_TESTS, timeoutSeconds: caseTimeout(c) })),
        next: NEXT_PROGRAM,
      };
      const mounts = ["deploy/pod", "sandbox"].flatMap((d) => ["-v", `${join(ROOT, "test", d)}:/app/test/${d}:ro`]);
      const out = inPod([...mounts, "--entrypoint", "/usr/bin/tini", TAG, "--", "node", "--import", "tsx", "test/deploy/pod/driver.ts"], JSON.stringify(input));
      report = JSON.parse(out);
      // The backend the manifest's environment picks, whatever it is.
      expect(report.backend).toBe(config.SCA_SANDBOX_BACKEND);
      expect(report.uid).toBeGreaterThan(0);
    }, 1_200_000);

    it.each(CASES.map((c, i) => [c.name, c, i] as const))("%s", (_, c, i) => {
      const { result: r, seen, next } = report.results[i];
      c.check?.(r, { secrets: [secret, ...pod.secretValues], connections: () => seen.connections, outsideWritten: () => seen.outsideWritten });
      expect(seen.leftover).toBe(0);
      expectContained(c, r, next);
    });
  });
});
