import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../deploy/repo.ts";
import { spawnSca } from "./sca.ts";

interface Replica {
  stage: string;
  instanceId: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

/**
 * Replicas of stages, each a separate `sca service` process, started, SIGKILLed and SIGTERMed by a
 * test as an autoscaler or a node drain would. Each replica's log goes to `<logDir>/<instance>.log`.
 */
export class ReplicaFleet {
  private readonly live: Replica[] = [];
  private next = 0;
  /** Unexpected exits: a replica that died on its own. */
  readonly crashed: string[] = [];
  readonly moves: string[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
  ) {}

  async start(stage: string, instanceId = `${stage}-${this.next++}`): Promise<void> {
    const port = await freePort();
    const { child, done } = spawnSca(["service", stage], { ...this.env, SCA_INSTANCE_ID: instanceId, SCA_METRICS_PORT: String(port) });
    const log = createWriteStream(join(this.logDir, `${instanceId}.log`), { flags: "a" });
    child.stdout!.pipe(log);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    const r: Replica = { stage, instanceId, port, child, exited: done.then((f) => f.code), stderr: () => stderr };
    this.live.push(r);
    void done.then((f) => {
      const i = this.live.indexOf(r);
      if (i < 0) return;
      this.live.splice(i, 1);
      this.crashed.push(`${instanceId} exited ${f.code ?? f.signal}: ${f.stderr.slice(-2_000)}`);
    });
  }

  replicas(stage: string): string[] {
    return this.live.filter((r) => r.stage === stage).map((r) => r.instanceId);
  }

  /** Replicas of a stage whose /readyz answers 200, as Kubernetes would see them. */
  async ready(stage: string): Promise<string[]> {
    const ok = await Promise.all(
      this.live
        .filter((r) => r.stage === stage)
        .map(async (r) => {
          try {
            return (await fetch(`http://127.0.0.1:${r.port}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200 ? r.instanceId : undefined;
          } catch {
            return undefined;
          }
        }),
    );
    return ok.filter((id): id is string => id !== undefined);
  }

  private take(instanceId: string): Replica {
    const i = this.live.findIndex((r) => r.instanceId === instanceId);
    if (i < 0) throw new Error(`no live replica ${instanceId}`);
    return this.live.splice(i, 1)[0];
  }

  /** SIGKILL, then a replacement under the same name (a restarted pod: same disk, same id). */
  async killAndReplace(instanceId: string): Promise<void> {
    const r = this.take(instanceId);
    r.child.kill("SIGKILL");
    await r.exited;
    await this.start(r.stage, r.instanceId);
    this.moves.push(`kill ${instanceId}`);
  }

  async add(stage: string): Promise<void> {
    await this.start(stage);
    this.moves.push(`add ${stage}`);
  }

  /** SIGTERM: a graceful scale-in; the replica must exit 0. */
  async remove(instanceId: string): Promise<void> {
    const r = this.take(instanceId);
    r.child.kill("SIGTERM");
    const code = await r.exited;
    if (code !== 0) this.crashed.push(`${instanceId} exited ${code} after SIGTERM: ${r.stderr()}`);
    this.moves.push(`remove ${instanceId}`);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((r) => this.remove(r.instanceId)));
  }

  killAllNow(): void {
    for (const r of this.live.splice(0)) r.child.kill("SIGKILL");
  }
}
