// `npm run bench -- sandbox [--reps 10] [--concurrency 2] [--docker-run 20] [--baseline REV]`: programs/s for the HumanEval
// canonical programs through each sandbox backend against a plain `python3 file.py` subprocess loop at
// the same concurrency, side by side in one run: the repetitions rotate through the modes, so a change
// of machine load hits every mode alike. Also times one `docker run` per program for comparison.
// --baseline REV adds the supervisor alone (no sandbox walls; private /tmp and pids) at git revision
// REV and at the working tree, each program run on both in turn (alternating which goes first), so
// that load swings hit both alike: the per-program cost of a supervisor change.
// Needs the Docker engine and image from test/infra/start-docker.sh (DOCKER_HOST, SCA_SANDBOX_IMAGE), e.g.
//   bash test/infra/with-infra.sh npm run bench -- sandbox
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { z } from "zod";
import { createSandbox, Limits, programSource, type Sandbox } from "../../services/sandbox/index.ts";
import { SUPERVISOR_SOURCE } from "../../services/sandbox/backends/backend.ts";
import { supervisorLimits } from "../../services/sandbox/limits.ts";
import { humanEval } from "../sandbox/fixtures.ts";

const Args = z.object({
  reps: z.coerce.number().int().min(1).default(10),
  concurrency: z.coerce.number().int().min(1).default(2),
  dockerRun: z.coerce.number().int().min(0).default(20),
  baseline: z.string().min(1).optional(),
});

function parseArgs(args: string[]): z.infer<typeof Args> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const m = /^--([a-z-]+)$/.exec(args[i] ?? "");
    if (!m || args[i + 1] === undefined) throw new Error(`bench sandbox: expected --name value pairs, got ${JSON.stringify(args.slice(i))}`);
    raw[m[1].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = args[i + 1];
  }
  return Args.parse(raw);
}

/** Runs `jobs` with at most `n` at once; resolves with their statuses. */
async function pool<T>(items: T[], n: number, job: (t: T) => Promise<string>): Promise<string[]> {
  const out: string[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await job(items[i]);
      }
    }),
  );
  return out;
}

function plainPython(file: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn("/usr/bin/python3", [file], { stdio: ["ignore", "ignore", "ignore"] });
    p.on("exit", (code) => resolve(code === 0 ? "pass" : "fail"));
  });
}

async function dockerRun(docker: Docker, image: string, source: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: ["python3", "-c", source],
    NetworkDisabled: true,
    HostConfig: { NetworkMode: "none", ReadonlyRootfs: true, CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges"], PidsLimit: 96, Memory: 4608 << 20, Runtime: "runc" },
  });
  try {
    await c.start();
    const r = (await c.wait()) as { StatusCode: number };
    return r.StatusCode === 0 ? "pass" : "fail";
  } finally {
    await c.remove({ force: true });
  }
}

/**
 * One supervisor.py of any revision, alone: its replies are read as pass (completed, exit 0) or not,
 * without the current protocol's schema, which an older revision need not meet.
 */
async function bareSupervisor(source: string, uid: number): Promise<{ run(code: string): Promise<string>; close(): void }> {
  // A private /tmp (every supervisor numbers its work dirs from 1 under /tmp/sca) and pid namespace (it
  // scans /proc for its programs' processes, as it does in a sandbox, not the whole host's).
  const p = spawn("unshare", ["--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc", "sh", "-c", 'mount -t tmpfs none /tmp && exec "$@"', "sh", "/usr/bin/python3", "-I", "-c", source, String(uid)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: p.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on("line", (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const ready = JSON.parse(await next()) as { ready?: boolean };
  if (!ready.ready) throw new Error("bench sandbox: bare supervisor not ready");
  const limits = supervisorLimits(Limits.parse({}));
  let id = 0;
  return {
    async run(code) {
      const reply = next();
      p.stdin.write(JSON.stringify({ code, ...limits, id: ++id }) + "\n");
      const r = JSON.parse(await reply) as { completed?: boolean; exit_code?: number; error?: string };
      if (r.error) throw new Error(`bench sandbox: bare supervisor: ${r.error}`);
      return r.completed && r.exit_code === 0 ? "pass" : "fail";
    },
    close: () => p.kill("SIGKILL"),
  };
}

interface Row {
  mode: string;
  programs: number;
  seconds: number;
  passed: number;
}

export async function run(args: string[]): Promise<{ table: string; data: unknown }> {
  const a = parseArgs(args);
  const image = process.env.SCA_SANDBOX_IMAGE;
  if (!image) throw new Error("bench sandbox: SCA_SANDBOX_IMAGE is not set (run under test/infra/with-infra.sh)");
  const tasks = humanEval().map((t) => programSource({ code: t.code, tests: t.tests }));
  const dir = mkdtempSync(join(tmpdir(), "sca-bench-sandbox-"));
  const files = tasks.map((src, i) => {
    const f = join(dir, `p${i}.py`);
    writeFileSync(f, src);
    return f;
  });

  const sandboxes: Array<[string, Sandbox]> = [];
  for (const [mode, opts] of [
    ["bwrap", { backend: "bwrap" }],
    ["docker:runc", { backend: "docker", runtime: "runc" }],
    ["docker:runsc", { backend: "docker", runtime: "runsc" }],
  ] as const) {
    const s = await createSandbox({ ...opts, concurrency: a.concurrency, image, maxRunsPerWorker: 100_000 });
    await s.warm();
    sandboxes.push([mode, s]);
  }
  // Per slot, one supervisor of each revision.
  const pairs: Array<Array<[string, Awaited<ReturnType<typeof bareSupervisor>>]>> = [];
  if (a.baseline) {
    const rev = execFileSync("git", ["rev-parse", "--short", a.baseline], { encoding: "utf8" }).trim();
    const before = execFileSync("git", ["show", `${rev}:services/sandbox/supervisor.py`], { encoding: "utf8" });
    for (let i = 0; i < a.concurrency; i++) {
      pairs.push([
        [`supervisor alone @${rev}`, await bareSupervisor(before, 61_000 + i)],
        ["supervisor alone @worktree", await bareSupervisor(SUPERVISOR_SOURCE, 61_100 + i)],
      ]);
    }
  }
  /** One pass of every program on both supervisors of a slot; adds each request's time to its row. */
  const interleaved = async (rows: Map<string, Row>) => {
    const idle = [...pairs];
    let n = 0;
    await pool(tasks, a.concurrency, async (src) => {
      const pair = idle.pop()!;
      try {
        for (const [label, w] of n++ % 2 ? [...pair].reverse() : pair) {
          const t0 = performance.now();
          const status = await w.run(src);
          if (status !== "pass") throw new Error(`bench sandbox: a canonical program did not pass on ${label}`);
          const row = rows.get(label) ?? { mode: label, programs: 0, seconds: 0, passed: 0 };
          // Slots run side by side: a slot's share of the elapsed time.
          row.seconds += (performance.now() - t0) / 1000 / a.concurrency;
          row.programs++;
          row.passed++;
          rows.set(label, row);
        }
      } finally {
        idle.push(pair);
      }
      return "pass";
    });
  };
  const modes: Array<[string, () => Promise<string[]>]> = [
    ["python3 file.py loop", () => pool(files, a.concurrency, plainPython)],
    ...sandboxes.map(([mode, s]): [string, () => Promise<string[]>] => [mode, () => pool(tasks, a.concurrency, async (src) => (await s.run({ code: src, tests: "" })).status)]),
  ];
  const rows = new Map<string, Row>(modes.map(([mode]) => [mode, { mode, programs: 0, seconds: 0, passed: 0 }]));
  try {
    for (let rep = 0; rep < a.reps; rep++) {
      // Rotate the order each repetition: no mode always runs first or last.
      for (let k = 0; k < modes.length; k++) {
        const [mode, go] = modes[(rep + k) % modes.length];
        const t0 = performance.now();
        const statuses = await go();
        // A broken sandbox would make any rate meaningless: the canonical solutions all pass.
        const bad = statuses.filter((s) => s !== "pass");
        if (bad.length) throw new Error(`bench sandbox: ${bad.length} canonical programs did not pass on ${mode}: ${[...new Set(bad)].join(", ")}`);
        const row = rows.get(mode)!;
        row.seconds += (performance.now() - t0) / 1000;
        row.programs += statuses.length;
        row.passed += statuses.filter((s) => s === "pass").length;
      }
      if (pairs.length) await interleaved(rows);
      console.error(`bench sandbox: repetition ${rep + 1}/${a.reps} done`);
    }
    if (a.dockerRun > 0) {
      const docker = new Docker();
      const sample = tasks.slice(0, a.dockerRun);
      const t0 = performance.now();
      const statuses = await pool(sample, a.concurrency, (src) => dockerRun(docker, image, src));
      rows.set("docker run per program (runc)", {
        mode: "docker run per program (runc)",
        programs: sample.length,
        seconds: (performance.now() - t0) / 1000,
        passed: statuses.filter((s) => s === "pass").length,
      });
    }
  } finally {
    await Promise.all(sandboxes.map(([, s]) => s.close()));
    for (const pair of pairs) for (const [, w] of pair) w.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const plain = rows.get("python3 file.py loop")!;
  const plainRate = plain.programs / plain.seconds;
  const data = [...rows.values()].map((r) => ({
    ...r,
    programs_per_s: r.programs / r.seconds,
    ms_per_program_per_slot: (r.seconds * 1000 * a.concurrency) / r.programs,
    ratio_vs_plain: r.programs / r.seconds / plainRate,
  }));
  // Other work on the machine slows fresh interpreter starts most: say how loaded it was.
  const load = loadavg()[1].toFixed(1);
  const table = [
    `HumanEval canonical programs x${a.reps}, concurrency ${a.concurrency}, ${cpus().length} CPUs, 5-min load average ${load} at the end, ${process.env.SCA_SANDBOX_IMAGE}`,
    "",
    "| mode | programs | passed | seconds | programs/s | ms/program/slot | vs plain loop |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...data.map((d) => `| ${d.mode} | ${d.programs} | ${d.passed} | ${d.seconds.toFixed(1)} | ${d.programs_per_s.toFixed(1)} | ${d.ms_per_program_per_slot.toFixed(1)} | ${d.ratio_vs_plain.toFixed(2)}x |`),
  ].join("\n");
  return { table, data: { args: a, load_average_5min: Number(load), rows: data } };
}
