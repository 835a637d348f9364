import { type ChildProcess, execFile, spawn } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A Docker engine of this test's own (socket, data root, exec root, pidfile all in `dir`), so it can
 * be killed without touching the shared engine other tests use. Loaded with the sandbox image
 * from the shared engine (`docker save | docker load`: no registry to pull from here).
 */
export class PrivateDockerd {
  readonly host: string;
  private child: ChildProcess | undefined;

  constructor(private readonly dir: string) {
    this.host = `unix://${join(dir, "docker.sock")}`;
  }

  async start(): Promise<void> {
    const log = openSync(join(this.dir, "dockerd.log"), "a");
    this.child = spawn(
      "dockerd",
      [
        "--iptables=false",
        "--bridge=none",
        "--ip-masq=false",
        "-H",
        this.host,
        "--data-root",
        join(this.dir, "data"),
        "--exec-root",
        join(this.dir, "exec"),
        "--pidfile",
        join(this.dir, "dockerd.pid"),
      ],
      { detached: true, stdio: ["ignore", log, log] },
    );
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await run("docker", ["-H", this.host, "info"]);
        return;
      } catch {
        if (this.child.exitCode !== null || Date.now() > deadline)
          throw new Error(`private dockerd did not start:\n${readFileSync(join(this.dir, "dockerd.log"), "utf8").slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async loadImage(image: string): Promise<void> {
    await run("bash", ["-o", "pipefail", "-c", `docker save ${image} | docker -H ${this.host} load`], { maxBuffer: 1 << 20 });
  }

  /** SIGKILL to this engine alone: no shutdown, its containers' streams break. */
  kill(): void {
    if (this.child?.pid) process.kill(this.child.pid, "SIGKILL");
    this.child = undefined;
  }

  /** Stops the engine and whatever it left running (its containerd and shims, found by our exec root). */
  async stop(): Promise<void> {
    if (this.child?.pid) {
      const child = this.child;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid!, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) process.kill(child.pid!, "SIGKILL");
    }
    this.child = undefined;
    for (const pid of this.leftovers()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    // dockerd bind-mounts its data root (and the storage driver mounts under it): undo them, deepest first.
    const mounts = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4])
      .filter((m) => m?.startsWith(this.dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await run("umount", ["-l", m]).catch(() => undefined);
  }

  private leftovers(): number[] {
    const pids: number[] = [];
    for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
      try {
        if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(this.dir)) pids.push(Number(p));
      } catch {
        // exited meanwhile
      }
    }
    return pids.filter((p) => p !== process.pid);
  }
}
