// `npm run bench -- sandbox [--reps 3] [--concurrency 2] [--startup 3] [--docker-run 20] [--baseline REV]`: programs/s of
// each sandbox path against a bare `/usr/bin/python3 file.py` loop (xargs -P) at the same concurrency,
// side by side in one run, for two workloads: HumanEval's canonical programs and a trivial program (the
// floor: what the path itself costs). The repetitions rotate through the modes, so a change of machine
// load hits every mode alike. Paths: bwrap, Docker (runc, runsc) and the k8s verdicts pod (the built
// application image run with the flags the rendered manifests give that pod, pod backend under runsc).
// Also the start-up of one warm worker per path, and one `docker run` per program for comparison, and
// the CPU each program cost where it can be told (a loaded shared host moves wall time far more).
// --baseline REV adds the supervisor alone (no sandbox walls; private /tmp and pids) at git revision
// REV and at the working tree, each program run on both in turn (alternating which goes first), so
// that load swings hit both alike: the per-program cost of a supervisor change.
// Needs the Docker engine and image from test/infra/start-docker.sh (DOCKER_HOST, SCA_SANDBOX_IMAGE), e.g.
//   bash test/infra/with-infra.sh npm run bench -- sandbox
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import Docker from "dockerode";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { createSandbox, Limits, programSource, type Sandbox, type SandboxOptions } from "../../services/sandbox/index.ts";
import { SUPERVISOR_SOURCE } from "../../services/sandbox/backends/backend.ts";
import { supervisorLimits } from "../../services/sandbox/limits.ts";
import { podDockerFlags } from "../deploy/pod/docker-flags.ts";
import { kustomize, ROOT, run as runTool } from "../deploy/repo.ts";
import { humanEval } from "../sandbox/fixtures.ts";

const Args = z.object({
  reps: z.coerce.number().int().min(1).default(3),
  concurrency: z.coerce.number().int().min(1).default(2),
  startup: z.coerce.number().int().min(1).default(3),
  dockerRun: z.coerce.number().int().min(0).default(20),
  baseline: z.string().min(1).optional(),
});

/** The application image the verdicts pod runs, as the pod test builds it. */
const APP_TAG = "sca-app:verdicts-pod-test";
const PLAIN = "python3 file.py loop (xargs -P)";

/** Least rate each path must reach, as a multiple of the plain loop's at the same concurrency (issue 17). */
const TARGETS: Array<[prefix: string, ratio: number]> = [
  ["bwrap", 1.5],
  ["docker:runc", 1.0],
  ["docker:runsc", 0.7],
  ["pod", 0.7],
];

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

interface Pass {
  seconds: number;
  statuses: string[];
  /** CPU seconds the pass used where it can be told (see containerCpuSeconds). */
  cpuSeconds?: number;
}

/**
 * The baseline: `/usr/bin/python3 file.py` for each file, `concurrency` at once, launched by xargs. Not
 * spawned from this process: a fork of a large Node process (this bench holds the sandboxes, HumanEval
 * and Docker clients) costs tens of ms more per program on this host, which halved the baseline's rate
 * and doubled every ratio. Every program must exit 0 (xargs says so by its own status). Its CPU is
 * what bash's `times` reports for its children (xargs and the interpreters).
 */
function plainPythonLoop(files: string[], concurrency: number): Promise<Pass> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const script = 'xargs -0 -P "$1" -n 1 /usr/bin/python3 >/dev/null 2>&1; s=$?; times; exit $s';
    const p = spawn("bash", ["-c", script, "bash", String(concurrency)], { stdio: ["pipe", "pipe", "ignore"], env: { ...process.env, LC_ALL: "C" } });
    let out = "";
    p.stdout.on("data", (b: Buffer) => (out += b.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      const seconds = (performance.now() - t0) / 1000;
      // `times`: the shell's user and system time, then its children's.
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out.trim());
      const cpuSeconds = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : undefined;
      resolve({ seconds, cpuSeconds, statuses: files.map(() => (code === 0 ? "pass" : `fail (xargs exit ${code})`)) });
    });
    p.stdin.end(files.join("\0") + "\0");
  });
}

/**
 * CPU seconds used so far by the cgroup of a Docker container (cgroup v1 cpuacct, else v2 cpu.stat):
 * under gVisor the Sentry's, the gofer's and the programs'. Far steadier than wall time on a loaded
 * shared host; the engine's own work (its stream copying) and this process's are not in it.
 */
async function containerCpuSeconds(docker: Docker, id: string): Promise<number> {
  const pid = ((await docker.getContainer(id).inspect()) as { State: { Pid: number } }).State.Pid;
  let unified: string | undefined;
  for (const line of readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers?.split(",").includes("cpuacct")) return Number(readFileSync(`/sys/fs/cgroup/cpuacct${path}/cpuacct.usage`, "utf8")) / 1e9;
    if (controllers === "" && path) unified = path;
  }
  const usec = unified === undefined ? undefined : /^usage_usec (\d+)$/m.exec(readFileSync(`/sys/fs/cgroup${unified}/cpu.stat`, "utf8"))?.[1];
  if (usec === undefined) throw new Error(`bench sandbox: no CPU accounting for container ${id}`);
  return Number(usec) / 1e6;
}

async function dockerRun(docker: Docker, image: string, source: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: ["python3", "-c", source],
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      PidsLimit: 96,
      Memory: 4608 << 20,
      Runtime: "runc",
    },
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
  // A private /tmp (older revisions number their work dirs from 1 under /tmp/sca) and pid namespace (it
  // scans /proc for its programs' processes, as it does in a sandbox, not the whole host's).
  const p = spawn(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "--pid",
      "--fork",
      "--mount-proc",
      "sh",
      "-c",
      'mount -t tmpfs none /tmp && exec "$@"',
      "sh",
      "/usr/bin/python3",
      "-I",
      "-c",
      source,
      String(uid),
    ],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
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

interface Mode {
  name: string;
  run(programs: string[]): Promise<Pass>;
  /** Milliseconds from asking for a fresh warm worker until it is ready, per worker. */
  startup?(workers: number): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * A sandbox of this process. For Docker backends a pass's CPU is its containers' (learnt from the
 * workers' ids, `<runtime>:<container id>`, a warm-up pass first); bwrap's workers have no CPU
 * accounting here.
 */
async function inProcess(name: string, opts: SandboxOptions, s: Sandbox, concurrency: number, docker: Docker): Promise<Mode> {
  const containers = new Set<string>();
  const pass = (programs: string[]) =>
    pool(programs, concurrency, async (src) => {
      const r = await s.run({ code: src, tests: "" });
      const id = /^docker:\w+$/.test(r.backend) ? r.worker.split(":")[1] : undefined;
      if (id) containers.add(id);
      return r.status === "sandbox_error" ? `${r.status}: ${r.error}` : r.status;
    });
  /** Their sum; undefined when there is none, or one is gone (a replaced worker: forgotten). */
  const cpu = async () => {
    let sum = 0;
    let all = containers.size > 0;
    for (const id of [...containers]) {
      try {
        sum += await containerCpuSeconds(docker, id);
      } catch {
        containers.delete(id);
        all = false;
      }
    }
    return all ? sum : undefined;
  };
  await pass(Array.from({ length: concurrency }, () => "x = 1\n"));
  return {
    name,
    async run(programs) {
      const before = await cpu();
      const known = containers.size;
      const t0 = performance.now();
      const statuses = await pass(programs);
      const seconds = (performance.now() - t0) / 1000;
      // A worker started meanwhile (one replaced after an anomaly) ran part of the pass uncounted.
      const after = containers.size === known ? await cpu() : undefined;
      return { seconds, statuses, cpuSeconds: before !== undefined && after !== undefined ? after - before : undefined };
    },
    async startup(workers) {
      const ms: number[] = [];
      for (let i = 0; i < workers; i++) {
        const one = await createSandbox({ ...opts, concurrency: 1 });
        const t0 = performance.now();
        await one.warm();
        ms.push(performance.now() - t0);
        await one.close();
      }
      return ms;
    },
    close: () => s.close(),
  };
}

/** The verdicts pod: a long-lived container running support/pod-runner.ts, driven in JSON lines. */
async function podMode(concurrency: number, docker: Docker): Promise<Mode> {
  runTool("bash", ["test/infra/build-image.sh", "app", APP_TAG], { cwd: ROOT });
  const objs = parseAllDocuments(kustomize(join(ROOT, "k8s", "base"))).map((d) => d.toJS() as Record<string, any>);
  const { flags } = podDockerFlags(objs, "sca-verdicts", () => `secret-${randomBytes(12).toString("hex")}`);
  const support = join(ROOT, "test", "bench", "support");
  const container = `sca-bench-pod-${randomBytes(6).toString("hex")}`;
  const child: ChildProcessWithoutNullStreams = spawn(
    "docker",
    [
      "run",
      "--rm",
      "-i",
      "--name",
      container,
      ...flags,
      "-v",
      `${support}:/app/test/bench/support:ro`,
      "--entrypoint",
      "/usr/bin/tini",
      APP_TAG,
      "--",
      "node",
      "--import",
      "tsx",
      "test/bench/support/pod-runner.ts",
      String(concurrency),
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const lines: Interface = createInterface({ input: child.stdout, crlfDelay: Infinity });
  const it = lines[Symbol.asyncIterator]();
  const reply = async <T>(): Promise<T> => {
    const r = await it.next();
    if (r.done) throw new Error(`bench sandbox: the pod container ended: ${stderr}`);
    return JSON.parse(r.value as string) as T;
  };
  const ready = await reply<{ backend: string }>();
  const ask = <T>(cmd: unknown) => (child.stdin.write(JSON.stringify(cmd) + "\n"), reply<T>());
  return {
    name: `pod (${ready.backend}, k8s verdicts pod under runsc)`,
    async run(programs) {
      // The pod's CPU: its service process and its workers alike, as a pod's CPU request counts them.
      const before = await containerCpuSeconds(docker, container);
      const r = await ask<Pass>({ op: "run", programs });
      return { ...r, cpuSeconds: (await containerCpuSeconds(docker, container)) - before };
    },
    startup: async (workers) => (await ask<{ ms: number[] }>({ op: "startup", workers })).ms,
    async close() {
      child.stdin.end();
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/**
 * The gVisor the engine runs as `runsc`: its release and platform (how the Sentry intercepts system
 * calls: ptrace, systrap or kvm), which decide what its paths cost.
 */
async function gvisor(docker: Docker): Promise<{ path: string; version: string; platform: string }> {
  const info = (await docker.info()) as { Runtimes?: Record<string, { path: string; runtimeArgs?: string[] }> };
  const rt = info.Runtimes?.runsc;
  if (!rt) throw new Error("bench sandbox: the engine has no runsc runtime");
  const version = /runsc version (\S+)/.exec(execFileSync(rt.path, ["--version"], { encoding: "utf8" }))?.[1] ?? "unknown";
  const flag = (rt.runtimeArgs ?? []).map((a) => /^--?platform=(\w+)$/.exec(a)?.[1]).find(Boolean);
  return { path: rt.path, version, platform: flag ?? "ptrace (the default)" };
}

interface Row {
  workload: string;
  mode: string;
  programs: number;
  seconds: number;
  /** CPU seconds over the cpuPrograms programs whose pass could tell it. */
  cpuSeconds?: number;
  cpuPrograms?: number;
}

export async function run(args: string[]): Promise<{ table: string; data: unknown }> {
  const a = parseArgs(args);
  const loadBefore = loadavg();
  const image = process.env.SCA_SANDBOX_IMAGE;
  if (!image) throw new Error("bench sandbox: SCA_SANDBOX_IMAGE is not set (run under test/infra/with-infra.sh)");
  const workloads: Record<string, string[]> = {
    humaneval: humanEval().map((t) => programSource({ code: t.code, tests: t.tests })),
    trivial: Array.from({ length: 164 }, () => "x = 1\n"),
  };
  const dir = mkdtempSync(join(tmpdir(), "sca-bench-sandbox-"));
  const files: Record<string, string[]> = {};
  for (const [w, srcs] of Object.entries(workloads)) {
    files[w] = srcs.map((src, i) => {
      const f = join(dir, `${w}-${i}.py`);
      writeFileSync(f, src);
      return f;
    });
  }

  const docker = new Docker();
  const runsc = await gvisor(docker);
  const modes: Mode[] = [];
  const rows: Row[] = [];
  const startups: Array<{ mode: string; ms: number[] }> = [];
  // Per slot, one supervisor of each revision.
  const pairs: Array<Array<[string, Awaited<ReturnType<typeof bareSupervisor>>]>> = [];
  /** One pass of a workload's programs on both supervisors of a slot; adds each request's time to its row. */
  const interleaved = async (w: string) => {
    const idle = [...pairs];
    let n = 0;
    await pool(workloads[w], a.concurrency, async (src) => {
      const pair = idle.pop()!;
      try {
        for (const [label, sup] of n++ % 2 ? [...pair].reverse() : pair) {
          const t0 = performance.now();
          const status = await sup.run(src);
          if (status !== "pass") throw new Error(`bench sandbox: a ${w} program did not pass on ${label}`);
          let row = rows.find((r) => r.workload === w && r.mode === label);
          if (!row) rows.push((row = { workload: w, mode: label, programs: 0, seconds: 0 }));
          // Slots run side by side: a slot's share of the elapsed time.
          row.seconds += (performance.now() - t0) / 1000 / a.concurrency;
          row.programs++;
        }
      } finally {
        idle.push(pair);
      }
      return "pass";
    });
  };
  try {
    for (const [name, opts] of [
      ["bwrap", { backend: "bwrap" }],
      ["docker:runc", { backend: "docker", runtime: "runc", image }],
      ["docker:runsc", { backend: "docker", runtime: "runsc", image }],
    ] as const) {
      const o: SandboxOptions = { ...opts, concurrency: a.concurrency, maxRunsPerWorker: 100_000 };
      const s = await createSandbox(o);
      await s.warm();
      modes.push(await inProcess(name, o, s, a.concurrency, docker));
    }
    modes.push(await podMode(a.concurrency, docker));
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
    const all: Array<{ name: string; run(w: string): Promise<Pass> }> = [
      {
        name: PLAIN,
        run: (w) => plainPythonLoop(files[w], a.concurrency),
      },
      ...modes.map((m) => ({ name: m.name, run: (w: string) => m.run(workloads[w]) })),
    ];
    for (const w of Object.keys(workloads)) for (const m of all) rows.push({ workload: w, mode: m.name, programs: 0, seconds: 0 });
    for (let rep = 0; rep < a.reps; rep++) {
      for (const w of Object.keys(workloads)) {
        // Rotate the order each repetition: no mode always runs first or last.
        for (let k = 0; k < all.length; k++) {
          const m = all[(rep + k) % all.length];
          const { seconds, statuses, cpuSeconds } = await m.run(w);
          // A broken sandbox would make any rate meaningless: every program of both workloads passes.
          const bad = statuses.filter((s) => s !== "pass");
          if (bad.length) throw new Error(`bench sandbox: ${bad.length} ${w} programs did not pass on ${m.name}: ${[...new Set(bad)].join(", ")}`);
          const row = rows.find((r) => r.workload === w && r.mode === m.name)!;
          row.seconds += seconds;
          row.programs += statuses.length;
          if (cpuSeconds !== undefined) {
            row.cpuSeconds = (row.cpuSeconds ?? 0) + cpuSeconds;
            row.cpuPrograms = (row.cpuPrograms ?? 0) + statuses.length;
          }
        }
        if (pairs.length) await interleaved(w);
      }
      console.error(`bench sandbox: repetition ${rep + 1}/${a.reps} done`);
    }
    for (const m of modes) if (m.startup) startups.push({ mode: m.name, ms: await m.startup(a.startup) });
    if (a.dockerRun > 0) {
      const sample = workloads.humaneval.slice(0, a.dockerRun);
      const t0 = performance.now();
      const statuses = await pool(sample, a.concurrency, (src) => dockerRun(docker, image, src));
      if (statuses.some((s) => s !== "pass")) throw new Error("bench sandbox: docker run per program failed a canonical program");
      rows.push({ workload: "humaneval", mode: "docker run per program (runc)", programs: sample.length, seconds: (performance.now() - t0) / 1000 });
    }
  } finally {
    await Promise.all(modes.map((m) => m.close()));
    for (const pair of pairs) for (const [, sup] of pair) sup.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const slots = Math.min(a.concurrency, cpus().length);
  const data = rows.map(({ cpuSeconds, cpuPrograms, ...r }) => {
    const plain = rows.find((p) => p.workload === r.workload && p.mode === PLAIN)!;
    const rate = r.programs / r.seconds;
    return {
      ...r,
      cpu_ms_per_program: cpuSeconds !== undefined && cpuPrograms ? (cpuSeconds * 1000) / cpuPrograms : null,
      programs_per_s: rate,
      programs_per_s_per_core: rate / slots,
      ms_per_program_per_slot: (r.seconds * 1000 * a.concurrency) / r.programs,
      ratio_vs_plain: rate / (plain.programs / plain.seconds),
      target: TARGETS.find(([prefix]) => r.mode.startsWith(prefix))?.[1] ?? null,
    };
  });
  const verdict = (d: (typeof data)[number]) => (d.target === null ? "" : `≥${d.target.toFixed(1)}x ${d.ratio_vs_plain >= d.target ? "met" : "MISSED"}`);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  // Other work on the machine slows fresh interpreter starts most: say how loaded it was.
  const loadAfter = loadavg();
  const loads = (l: number[]) => `${l[0].toFixed(1)} / ${l[1].toFixed(1)}`;
  const table = [
    `x${a.reps} per workload, concurrency ${a.concurrency}, ${cpus().length} CPUs, load average (1 / 5 min) ${loads(loadBefore)} at the start and ${loads(loadAfter)} at the end, sandbox image ${image}, app image ${APP_TAG}; baseline: /usr/bin/python3 file.py, ${a.concurrency} at once, launched by xargs`,
    `gVisor (docker:runsc and the pod): runsc ${runsc.version} (${runsc.path}), platform ${runsc.platform}.`,
    "Machine load slows the baseline's fresh interpreter starts most: compare ratios within one run, and runs only at a like load.",
    ...(a.baseline
      ? ["Rows `supervisor alone @REV`: each program on the supervisor at that revision and at the working tree in turn, without sandbox walls."]
      : []),
    "",
    "CPU ms/program: the baseline's interpreters (bash `times`), each Docker path's containers (their cgroups; under gVisor the Sentry's and gofer's work too; the pod's includes its Node service), not the engine's stream copying; none for bwrap and the per-program runs.",
    "",
    "| workload | mode | programs | seconds | programs/s | programs/s per core | ms/program/slot | CPU ms/program | vs plain loop | target |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ...data.map(
      (d) =>
        `| ${d.workload} | ${d.mode} | ${d.programs} | ${d.seconds.toFixed(1)} | ${d.programs_per_s.toFixed(1)} | ${d.programs_per_s_per_core.toFixed(1)} | ${d.ms_per_program_per_slot.toFixed(1)} | ${d.cpu_ms_per_program === null ? "" : d.cpu_ms_per_program.toFixed(1)} | ${d.ratio_vs_plain.toFixed(2)}x | ${verdict(d)} |`,
    ),
    "",
    `Start-up of one warm worker (from asking until its supervisor is ready), ${a.startup} in a row:`,
    "",
    "| mode | median ms | all ms |",
    "|---|---:|---|",
    ...startups.map((s) => `| ${s.mode} | ${median(s.ms).toFixed(0)} | ${s.ms.map((m) => m.toFixed(0)).join(", ")} |`),
  ].join("\n");
  return { table, data: { args: a, gvisor: runsc, load_average_start: loadBefore, load_average_end: loadAfter, rows: data, startups } };
}
