import type { ChildProcess } from "node:child_process";
import { spawnSca } from "./sca.ts";

interface Replica {
  stage: string;
  instanceId: string;
  child: ChildProcess;
  startedAt: number;
  exited: Promise<number | null>;
  stderr: () => string;
}

/**
 * Replicas of stages, each a separate `sca service` process, started, SIGKILLed and SIGTERMed by a
 * test as an autoscaler or a node drain would.
 */
export class ReplicaFleet {
  private readonly live: Replica[] = [];
  private next = 0;
  /** Unexpected exits: a replica that died on its own. */
  readonly crashed: string[] = [];
  readonly moves: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  start(stage: string, instanceId = `${stage}-${this.next++}`): void {
    const { child, done } = spawnSca(["service", stage], { ...this.env, SCA_INSTANCE_ID: instanceId });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    const r: Replica = { stage, instanceId, child, startedAt: Date.now(), exited: done.then((f) => f.code), stderr: () => stderr };
    this.live.push(r);
    void done.then((f) => {
      const i = this.live.indexOf(r);
      if (i < 0) return;
      this.live.splice(i, 1);
      this.crashed.push(`${instanceId} exited ${f.code ?? f.signal}: ${f.stderr.slice(-2_000)}`);
    });
  }

  /** Live replicas of a stage; with `minAgeMs`, only those started at least that long ago. */
  replicas(stage: string, minAgeMs = 0): string[] {
    return this.live.filter((r) => r.stage === stage && Date.now() - r.startedAt >= minAgeMs).map((r) => r.instanceId);
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
    this.start(r.stage, r.instanceId);
    this.moves.push(`kill ${instanceId}`);
  }

  add(stage: string): void {
    this.start(stage);
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
