import Docker from "dockerode";
import { type Duplex, PassThrough } from "node:stream";
import { z } from "zod";
import type { Limits } from "../limits.ts";
import { SandboxFault, SupervisorChannel } from "../protocol.ts";
import { type Backend, type SupervisedWorker, programUid, SUPERVISOR_MEMORY_MB, SUPERVISOR_SOURCE, withTimeout } from "./backend.ts";

export const DockerOptions = z.object({
  image: z.string().min(1),
  /** "auto": gVisor when the engine has it registered, else the engine's default runtime. */
  runtime: z.enum(["auto", "runsc", "runc"]).default("auto"),
  /** CPUs each container may use. */
  cpus: z.number().positive().default(1),
  /** Size of each container's /tmp (programs' work dirs live there). */
  tmpMb: z.number().int().positive().default(128),
});
export type DockerOptions = z.input<typeof DockerOptions>;

// gVisor's sentry grows host threads with busy guest tasks: at 1024 a guest fork bomb (64 spinning
// processes) made it die; at 8192 it holds. Guest processes themselves are capped by RLIMIT_NPROC.
const RUNSC_PIDS_LIMIT = 8192;

/** Label on every sandbox container, so leftovers of a crashed process can be found and removed. */
export const SANDBOX_LABEL = "io.selfcodealign.sandbox";

/** The engine `DOCKER_HOST` of this environment names (a unix socket), else dockerode's default (the process's DOCKER_HOST, or /var/run/docker.sock). */
export function dockerFromEnv(env: NodeJS.ProcessEnv): Docker {
  const host = env.DOCKER_HOST;
  return host?.startsWith("unix://") ? new Docker({ socketPath: host.slice("unix://".length) }) : new Docker();
}

/** Whether a Docker engine answers (DOCKER_HOST or the default socket). */
export async function dockerReachable(docker = new Docker()): Promise<boolean> {
  try {
    await Promise.race([docker.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error("timeout")), 2000).unref())]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Warm containers through dockerode: no network, read-only root, a tmpfs /tmp, every capability
 * dropped but the few the supervisor needs to give each program its own uid and clean up after it,
 * no-new-privileges, pids/memory/CPU limits. The supervisor is PID 1 and talks over the attach stream.
 */
export async function createDockerBackend(input: DockerOptions, docker = new Docker()): Promise<Backend> {
  const opts = DockerOptions.parse(input);
  if (!(await dockerReachable(docker))) throw new SandboxFault("docker backend: no Docker engine answers (DOCKER_HOST or /var/run/docker.sock)");
  let imageId: string;
  try {
    imageId = ((await docker.getImage(opts.image).inspect()) as { Id: string }).Id;
  } catch {
    throw new SandboxFault(
      `docker backend: image "${opts.image}" is not present (build it: test/infra/start-docker.sh or services/sandbox/image/build-offline.sh)`,
    );
  }
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown>; DefaultRuntime?: string };
  const hasRunsc = Boolean(info.Runtimes?.runsc);
  if (opts.runtime === "runsc" && !hasRunsc) throw new SandboxFault("docker backend: runtime runsc (gVisor) is not registered with the engine");
  const runtime = opts.runtime === "auto" ? (hasRunsc ? "runsc" : "runc") : opts.runtime;

  return {
    name: `docker:${runtime}`,
    image: `${opts.image}@${imageId}`,
    spawn: (limits) => spawnContainer(docker, opts, runtime, limits),
    ping: (signal) =>
      new Promise<void>((resolve, reject) => {
        signal.addEventListener("abort", () => reject(new SandboxFault("docker backend: the engine did not answer a ping in time")), { once: true });
        docker.ping().then(
          () => resolve(),
          (e: unknown) => reject(new SandboxFault(`docker backend: the engine does not answer: ${(e as Error).message}`)),
        );
      }),
    close: async () => {},
  };
}

async function spawnContainer(docker: Docker, opts: z.infer<typeof DockerOptions>, runtime: string, limits: Limits): Promise<SupervisedWorker> {
  const uid = programUid();
  const memory = (limits.memoryMb + SUPERVISOR_MEMORY_MB + opts.tmpMb) * 1024 * 1024;
  const container = await docker.createContainer({
    Image: opts.image,
    Cmd: ["python3", "-I", "-c", SUPERVISOR_SOURCE, String(uid)],
    User: "0:0",
    WorkingDir: "/tmp",
    Env: ["LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin"],
    Labels: { [SANDBOX_LABEL]: "1" },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    // When our process dies its attach socket closes: the engine then closes the supervisor's stdin,
    // the supervisor exits, and AutoRemove deletes the container. No leaked sandboxes.
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: {
      Runtime: runtime,
      AutoRemove: true,
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      CapAdd: ["SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER"],
      SecurityOpt: ["no-new-privileges"],
      // runc: the programs' processes are host processes. gVisor: guest processes are not, the pids
      // limit counts the sentry's own threads, which need room.
      PidsLimit: runtime === "runsc" ? RUNSC_PIDS_LIMIT : limits.processes + 32,
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(opts.cpus * 1e9),
      Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${opts.tmpMb}m,mode=1777` },
      ShmSize: 16 * 1024 * 1024,
      IpcMode: "private",
    },
  });
  const id = container.id.slice(0, 12);
  const remove = () =>
    container.remove({ force: true }).then(
      () => undefined,
      () => undefined,
    );
  try {
    // With hijack the engine hands back the raw socket: a duplex, whatever the typings say.
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let stderrTail = "";
    stderr.on("data", (b: Buffer) => (stderrTail = (stderrTail + b.toString()).slice(-2000)));
    container.modem.demuxStream(stream, stdout, stderr);
    stream.on("end", () => stdout.end());
    stream.on("close", () => stdout.end());
    const channel = new SupervisorChannel(stream, stdout, () => `container ${id}: ${stderrTail.trim() || "no stderr"}`);
    await container.start();
    await withTimeout(channel.ready, 30_000, `container ${id}: supervisor not ready`);
    const worker: SupervisedWorker = {
      id: `${runtime}:${id}`,
      runs: 0,
      channel,
      get alive() {
        return channel.alive;
      },
      close: async () => {
        channel.fail(new SandboxFault("worker closed"));
        stream.destroy();
        await remove();
      },
    };
    return worker;
  } catch (e) {
    await remove();
    throw e instanceof SandboxFault ? e : new SandboxFault(`container ${id}: ${(e as Error).message}`);
  }
}
