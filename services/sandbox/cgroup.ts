import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../shared/pid.ts";

/**
 * Per-worker cgroup v1 limits for bwrap sandboxes. RLIMIT_NPROC does not bind root, and the bwrap
 * sandbox runs its supervisor as root: the pids cgroup is what holds a fork bomb whatever the uid.
 */
export interface WorkerCgroups {
  /** Paths whose cgroup.procs the sandbox's first process joins before it execs bwrap. */
  procs: string[];
  /** True once the cgroups are gone; false while a process is still leaving them. */
  remove(): boolean;
}

const V1_ROOT = "/sys/fs/cgroup";

/** This process's own cgroup path for one v1 controller (children must nest under it to be allowed). */
function ownPath(controller: string): string {
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers?.split(",").includes(controller)) return path;
  }
  throw new Error(`no ${controller} cgroup (v1) for this process`);
}

export function createWorkerCgroups(name: string, limits: { pids: number; memoryBytes: number }): WorkerCgroups {
  const made: string[] = [];
  try {
    const pids = join(V1_ROOT, "pids", ownPath("pids"), name);
    mkdirSync(pids);
    made.push(pids);
    writeFileSync(join(pids, "pids.max"), String(limits.pids));
    const mem = join(V1_ROOT, "memory", ownPath("memory"), name);
    mkdirSync(mem);
    made.push(mem);
    writeFileSync(join(mem, "memory.limit_in_bytes"), String(limits.memoryBytes));
    // No swap beyond the limit when the kernel accounts it.
    try {
      writeFileSync(join(mem, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes));
    } catch {
      /* memsw accounting is off on this kernel: the memory limit alone applies */
    }
  } catch (e) {
    removeAll(made);
    throw new Error(`bwrap backend needs writable cgroup v1 pids and memory controllers under ${V1_ROOT}: ${(e as Error).message}`);
  }
  return { procs: made.map((d) => join(d, "cgroup.procs")), remove: () => removeAll(made) };
}

/** True when every directory is gone. */
function removeAll(dirs: string[]): boolean {
  let all = true;
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch (e) {
      // ENOENT: already gone; EBUSY: its last process is still exiting, the caller retries.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") all = false;
    }
  }
  return all;
}

/** Removes the empty worker cgroups that processes which died without closing their sandboxes left. */
export function removeStaleCgroups(prefix: string): void {
  const stale = new RegExp(`^${prefix}(\\d+)-\\d+$`);
  for (const controller of ["pids", "memory"]) {
    let dir: string;
    let names: string[];
    try {
      dir = join(V1_ROOT, controller, ownPath(controller));
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const dead = names.filter((n) => {
      const m = stale.exec(n);
      return m !== null && !isAlive(Number(m[1]));
    });
    removeAll(dead.map((n) => join(dir, n)));
  }
}
