import { spawn, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { z } from "zod";
import { SandboxFault, SupervisorChannel } from "../protocol.ts";
import { type Backend, type SupervisedWorker, programUid, SUPERVISOR_SOURCE, withTimeout } from "./backend.ts";

export const PodOptions = z.object({
  python: z.string().default("/usr/bin/python3"),
});
export type PodOptions = z.input<typeof PodOptions>;

/** What the supervisor needs to give each program its own uid and clean up after it; nothing more. */
const NEEDED_CAPS = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, SETGID: 6, SETUID: 7 } as const;

/** How long a worker asked to stop may take to finish its run and exit before it is killed. */
const CLOSE_GRACE_MS = 5_000;

/** Capabilities missing from this process's effective set, by name. */
export function missingCapabilities(status = readFileSync("/proc/self/status", "utf8")): string[] {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  const caps = eff ? BigInt(`0x${eff[1]}`) : 0n;
  return Object.entries(NEEDED_CAPS)
    .filter(([, bit]) => (caps & (1n << BigInt(bit))) === 0n)
    .map(([name]) => name);
}

/**
 * The supervisor as a child of this process, for a pod that is itself the isolation boundary (the
 * verdicts pod under gVisor, where neither bubblewrap nor a Docker engine is available). The pod's
 * walls (gVisor, read-only root, NetworkPolicy, resource limits) keep programs off the node; inside
 * the pod, each program runs under a uid of its own with no capability (so it cannot signal, trace or
 * read the environment of this process, where the Kafka and LLM secrets live), in a user and network
 * namespace of its own (no network at all, not even the pod's), under rlimits (RLIMIT_NPROC binds:
 * the uid is not root), writing only in its work dir and /tmp, both cleaned after it.
 * Needs root holding CHOWN, DAC_OVERRIDE, FOWNER, SETGID and SETUID: the pod's securityContext.
 */
export async function createPodBackend(input: PodOptions = {}): Promise<Backend> {
  const opts = PodOptions.parse(input);
  if (process.getuid?.() !== 0)
    throw new SandboxFault("pod backend: must run as root (uid 0) holding CAP_SETUID and CAP_SETGID, to give each program a uid of its own");
  const missing = missingCapabilities();
  if (missing.length) throw new SandboxFault(`pod backend: missing capabilities ${missing.join(", ")} (add them to the container's securityContext)`);
  const python = realpathSync(opts.python);
  const version = spawnSync(python, ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" }).stdout.trim();
  if (!version) throw new SandboxFault(`pod backend: python "${opts.python}" does not run`);
  stickyTmp();
  return {
    name: "pod",
    image: `pod:${python}@${version}`,
    spawn: () => spawnSupervisor(python),
    // Workers are children of this process: there is no engine whose outage a failed spawn could be.
    ping: async () => {},
    close: async () => {},
  };
}

/**
 * A volume mounted at /tmp (a Kubernetes emptyDir) is world-writable without the sticky bit: a
 * program could then rename the supervisor's work root away. Root holding FOWNER may fix that.
 */
function stickyTmp(): void {
  const mode = statSync("/tmp").mode & 0o7777;
  if (mode & 0o002 && !(mode & 0o1000)) chmodSync("/tmp", mode | 0o1000);
}

async function spawnSupervisor(python: string): Promise<SupervisedWorker> {
  const uid = programUid();
  const child = spawn(python, ["-I", "-c", SUPERVISOR_SOURCE, String(uid), "--own-network"], {
    stdio: ["pipe", "pipe", "pipe"],
    cwd: "/tmp",
    // Never this process's environment: it holds the secrets.
    env: { LANG: "C.UTF-8", PATH: "/usr/local/bin:/usr/bin:/bin" },
  });
  const name = `pod:${child.pid}`;
  let stderrTail = "";
  child.stderr.on("data", (b: Buffer) => (stderrTail = (stderrTail + b.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const channel = new SupervisorChannel(child.stdin, child.stdout, () => `${name}: ${stderrTail.trim() || "no stderr"}`);
  child.once("exit", (code, sig) => channel.fail(new SandboxFault(`${name} exited (${sig ?? code}): ${stderrTail.trim()}`)));
  const close = async () => {
    channel.fail(new SandboxFault("worker closed"));
    // End of input: the supervisor finishes (and cleans up) the run in hand, then exits.
    child.stdin.end();
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_GRACE_MS).unref())]);
    if (!done) {
      child.kill("SIGKILL");
      await exited;
    }
    // No container or pid namespace ends with the worker here: whatever a program left (a worker is
    // retired when its cleanup could not kill everything, as under gVisor beside a fork bomb) would
    // run on under its uid, and a killed supervisor leaves its work root (supervisor.py's WORK_ROOT).
    killAllOf(python, uid);
    rmSync(`/tmp/sca/${child.pid}`, { recursive: true, force: true });
  };
  try {
    await withTimeout(channel.ready, 30_000, `${name}: supervisor not ready`);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    id: name,
    runs: 0,
    channel,
    get alive() {
      return channel.alive;
    },
    close,
  };
}

/** kill(-1) as `uid`: every process of that uid, wherever it went. */
function killAllOf(python: string, uid: number): void {
  // Repeated: processes a fork bomb starts meanwhile escape one kill(-1).
  const code =
    "import os, signal, sys\nu = int(sys.argv[1])\nos.setgroups([]); os.setgid(u); os.setuid(u)\nfor _ in range(1000):\n    try:\n        os.kill(-1, signal.SIGKILL)\n    except ProcessLookupError:\n        break\n";
  spawnSync(python, ["-I", "-c", code, String(uid)], { stdio: "ignore", env: {}, timeout: 5000 });
}
