import { spawn, execFileSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { createWorkerCgroups, removeStaleCgroups } from "../cgroup.ts";
import type { Limits } from "../limits.ts";
import { SandboxFault, SupervisorChannel } from "../protocol.ts";
import { type Backend, type SupervisedWorker, programUid, SUPERVISOR_MEMORY_MB, SUPERVISOR_SOURCE, withTimeout } from "./backend.ts";

export const BwrapOptions = z.object({
  bwrap: z.string().default("bwrap"),
  /** A system interpreter under /usr: only /usr is visible inside the sandbox. */
  python: z.string().default("/usr/bin/python3"),
  /** Size of each sandbox's /tmp (programs' work dirs live there). */
  tmpMb: z.number().int().positive().default(128),
});
export type BwrapOptions = z.input<typeof BwrapOptions>;

const SHM_BYTES = 16 * 1024 * 1024;

/** Worker cgroups are named <prefix><pid>-<n>: unique per process, recognisable once the process is gone. */
const NAME_PREFIX = "sca-sandbox-";
let workerSeq = 0;

/** Whether bubblewrap can start a sandbox here. */
export function bwrapUsable(bwrap = "bwrap"): boolean {
  try {
    execFileSync(bwrap, ["--ro-bind", "/usr", "/usr", ...usrLinks(), "--unshare-net", "--unshare-pid", "/usr/bin/true"], { stdio: "ignore", timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** /bin, /lib, /lib64, /sbin as on the host: symlinks into /usr on merged-/usr systems, else read-only binds. */
function usrLinks(): string[] {
  const args: string[] = [];
  for (const d of ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]) {
    if (!existsSync(d)) continue;
    if (lstatSync(d).isSymbolicLink()) args.push("--symlink", readlinkSync(d), d);
    else args.push("--ro-bind", d, d);
  }
  return args;
}

/**
 * Bubblewrap sandboxes on this machine: new mount, pid, net, ipc, uts and cgroup namespaces; only
 * /usr (the interpreter and its libraries) visible, read-only; an empty environment; a tmpfs /tmp.
 * Runs as root so that the supervisor (keeping only SETUID, SETGID, CHOWN, DAC_OVERRIDE, FOWNER) can give each program its
 * own unprivileged uid, which is also why no user namespace is used: it would map a single uid.
 * Each sandbox sits in its own pids and memory cgroup.
 */
export async function createBwrapBackend(input: BwrapOptions = {}): Promise<Backend> {
  const opts = BwrapOptions.parse(input);
  if (process.getuid?.() !== 0) throw new SandboxFault("bwrap backend: must run as root (per-program uids and pids cgroups)");
  const python = realpathSync(opts.python);
  if (!python.startsWith("/usr/")) throw new SandboxFault(`bwrap backend: python "${opts.python}" resolves to ${python}, outside /usr`);
  if (!bwrapUsable(opts.bwrap)) throw new SandboxFault(`bwrap backend: "${opts.bwrap}" cannot start a sandbox here`);
  const version = execFileSync(python, ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" }).trim();
  removeStaleCgroups(NAME_PREFIX);
  return {
    name: "bwrap",
    image: `host:${python}@${version}`,
    spawn: (limits) => spawnBwrap(opts, python, limits, `${NAME_PREFIX}${process.pid}-${++workerSeq}`),
    // Nothing to wait for on this host: a failed spawn is the program's or the worker's, not an outage.
    ping: async () => {},
    close: async () => {},
  };
}

async function spawnBwrap(opts: z.infer<typeof BwrapOptions>, python: string, limits: Limits, name: string): Promise<SupervisedWorker> {
  const uid = programUid();
  const cg = createWorkerCgroups(name, {
    pids: limits.processes + 32,
    // tmpfs pages are charged to the cgroup of whoever wrote them.
    memoryBytes: (limits.memoryMb + SUPERVISOR_MEMORY_MB + opts.tmpMb) * 1024 * 1024,
  });
  const args = [
    "--ro-bind",
    "/usr",
    "/usr",
    ...usrLinks(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    String(opts.tmpMb * 1024 * 1024),
    "--tmpfs",
    "/tmp",
    // A writable /dev/shm, as in a container: multiprocessing needs it for its semaphores.
    "--perms",
    "1777",
    "--size",
    String(SHM_BYTES),
    "--tmpfs",
    "/dev/shm",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--unshare-cgroup",
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    "--setenv",
    "LANG",
    "C.UTF-8",
    "--chdir",
    "/tmp",
    "--cap-drop",
    "ALL",
    "--cap-add",
    "CAP_SETUID",
    "--cap-add",
    "CAP_SETGID",
    "--cap-add",
    "CAP_CHOWN",
    "--cap-add",
    "CAP_DAC_OVERRIDE",
    "--cap-add",
    "CAP_FOWNER",
    python,
    "-I",
    "-c",
    SUPERVISOR_SOURCE,
    String(uid),
  ];
  // The shell joins the cgroups first, so that bwrap and everything under it are counted from the start.
  const join = cg.procs.map((p, i) => `echo $$ > "$${i + 1}"`).join(" && ");
  const child = spawn("/bin/sh", ["-c", `${join} && shift ${cg.procs.length} && exec "$@"`, "sh", ...cg.procs, opts.bwrap, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  let stderrTail = "";
  child.stderr.on("data", (b: Buffer) => (stderrTail = (stderrTail + b.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const channel = new SupervisorChannel(child.stdin, child.stdout, () => `bwrap ${name}: ${stderrTail.trim() || "no stderr"}`);
  child.once("exit", (code, sig) => channel.fail(new SandboxFault(`bwrap ${name} exited (${sig ?? code}): ${stderrTail.trim()}`)));
  const close = async () => {
    channel.fail(new SandboxFault("worker closed"));
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    for (let i = 0; i < 50 && !cg.remove(); i++) await sleep(20);
  };
  try {
    await withTimeout(channel.ready, 30_000, `bwrap ${name}: supervisor not ready`);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    id: `bwrap:${name}`,
    runs: 0,
    channel,
    get alive() {
      return channel.alive;
    },
    close,
  };
}
