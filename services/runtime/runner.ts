import { setTimeout as sleep } from "node:timers/promises";
import Denque from "denque";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import { z } from "zod";
import { DlqEnvelope } from "../../schemas/records.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF, backoffDelay } from "../shared/backoff.ts";
import { type Codec, CodecError } from "./codec.ts";
import { dlqTopicName } from "./dlq.ts";
import { errorMessage, isPoison } from "./errors.ts";
import { type Outcome, OutcomePolicy } from "./outcome-policy.ts";
import { DependencyHealth, type Outage } from "./outage.ts";
import { RuntimeMetrics } from "./metrics.ts";
import { OffsetTracker } from "./offset-tracker.ts";
import { CommitLanes } from "./commit-lanes.ts";
import type { Emit, PartitionHooks, StageDef } from "./stage.ts";
import type { Admin, LogRecord, OffsetCommit, OutRecord, StreamConsumer, TopicPartition, Transport } from "./transport.ts";

const Tuning = z.object({
  groupId: z.string().min(1).optional(),
  instanceId: z.string().min(1).optional(),
  concurrency: z.number().int().positive().optional(),
  maxBuffered: z.number().int().positive().optional(),
  maxAttempts: z.number().int().positive().default(5),
  commitIntervalMs: z.number().int().positive().default(100),
  /** Input records per commit at most: kafkajs groups a batch's messages in quadratic time, so huge transactions cost more than several small ones. */
  maxCommitRecords: z.number().int().positive().default(1_000),
  shutdownTimeoutMs: z.number().int().nonnegative().default(30_000),
  lagIntervalMs: z.number().int().positive().default(5_000),
  fromBeginning: z.boolean().default(true),
});

export interface RunnerOptions extends z.input<typeof Tuning> {
  transport: Transport;
  codec: Codec;
  stage: StageDef;
  /** Retry delays for transient errors (and for re-opening the consumer after a failed commit). */
  backoff?: BackoffPolicy;
  /** Delays between probes of a dependency that is down (default: DEFAULT_PROBE_BACKOFF). */
  probeBackoff?: BackoffPolicy;
  registry?: Registry;
  log?: Logger;
}

export const DEFAULT_CONCURRENCY = 16;

/** One input partition this runner owns; replaced wholesale when the partition is revoked or reassigned. */
class PartitionState {
  readonly tracker = new OffsetTracker<OutRecord[]>();
  readonly abort = new AbortController();
  dead = false;
  /** Next offset to read as far as the group's committed state goes: the base of the lag. */
  committed: bigint | undefined;
  /** Its commit lane when the transport commits partitions independently. */
  readonly lane: string;
  /** Records held back while the stage restores the partition's state. */
  held: Job[] | undefined;
  /** Its jobs in process() now. */
  running = 0;
  /** Punctuation outputs waiting for the partition's next commit, ahead of its records' outputs. */
  extra: OutRecord[] = [];
  /** A punctuation is being encoded: no commit may take this partition until its outputs are queued. */
  punctuating = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.lane = `p${partition}`;
  }
}

interface Job {
  state: PartitionState;
  record: LogRecord;
  offset: bigint;
  attempts: number;
  decoded?: { value: unknown };
}

/**
 * A runner's lifecycle. Transitions:
 *   new ─start()→ starting ─consumer open→ running ─close()→ closing ─consumer closed→ closed
 *   starting ─open failed→ new (start() may be called again)
 *   new | starting ─close()→ closing (a start() under way then leaves it closing)
 * A consumer that fails while starting or running is reopened in place (`restarting`), which is
 * not a lifecycle state: the runner is not ready meanwhile, and close() waits for it.
 */
type Lifecycle = "new" | "starting" | "running" | "closing" | "closed";

/**
 * Runs one stage: consumes its input topic as a group member, keeps up to `concurrency` records in
 * process at once even on a single partition, and commits per partition only the prefix of records
 * that are all done, with their outputs, in one atomic `commit(outputs, offsets)`. A crash at any
 * point therefore neither loses an input nor duplicates an output: uncommitted work is redone,
 * and its outputs were never released.
 */
export class StageRunner {
  private readonly stage: StageDef;
  private readonly transport: Transport;
  private readonly codec: Codec;
  private readonly groupId: string;
  private readonly instanceId: string | undefined;
  private readonly concurrency: number;
  private readonly maxBuffered: number;
  private readonly maxAttempts: number;
  private readonly commitIntervalMs: number;
  private readonly maxCommitRecords: number;
  private readonly shutdownTimeoutMs: number;
  private readonly lagIntervalMs: number;
  private readonly fromBeginning: boolean;
  private readonly backoff: BackoffPolicy;
  private readonly metrics: RuntimeMetrics;
  /** This stage's children of the per-record metrics, so the hot path does not hash label sets. */
  private readonly m: ReturnType<typeof stageMetrics>;
  private readonly log: Logger;
  private readonly dlqTopic: string;
  /** Done records that make a commit worth doing before the interval is up. */
  private readonly commitThreshold: number;
  private readonly health: DependencyHealth;
  private readonly outcomes: OutcomePolicy;

  private consumer: StreamConsumer | undefined;
  private admin: Admin | undefined;
  private readonly parts = new Map<number, PartitionState>();
  /** Jobs waiting for a worker. Not an array: shift() on one of over ~16k elements copies it whole, and a single fetch can bring that many. */
  private readonly queue = new Denque<Job>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private running = 0;
  private lifecycle: Lifecycle = "new";
  /** Reopening the consumer after it failed (within starting or running; close() waits for it). */
  private restarting = false;
  /** The consumer is paused: too much held, or a dependency is down. */
  private paused = false;
  private readonly lanes = new CommitLanes<PartitionState>(
    (states) => this.commitReady(states),
    // Under load the next batch is ready by the time this one lands: go on without waiting for the timer.
    (didCommit) => {
      if (didCommit && !this.closing && this.doneCount() >= this.commitThreshold) this.commitLanes();
    },
  );
  private restartLoop: Promise<void> | undefined;
  /** Aborted by close(), so a back-off wait in the reopen loop does not hold up shutdown. */
  private readonly closeSignal = new AbortController();
  private commitTimer: NodeJS.Timeout | undefined;
  /** Where the next commit starts taking partitions, so a busy partition cannot starve the others of the commit budget. */
  private commitRotation = 0;
  private lagTimer: NodeJS.Timeout | undefined;
  private punctuateTimer: NodeJS.Timeout | undefined;

  constructor(opts: RunnerOptions) {
    const t = Tuning.parse({ ...opts, transport: undefined, codec: undefined, stage: undefined, registry: undefined, log: undefined, backoff: undefined });
    this.stage = opts.stage;
    this.transport = opts.transport;
    this.codec = opts.codec;
    this.groupId = t.groupId ?? opts.stage.name;
    this.instanceId = t.instanceId;
    this.concurrency = t.concurrency ?? opts.stage.concurrency ?? DEFAULT_CONCURRENCY;
    // Done-but-held records wait behind the oldest unfinished one; twice the concurrency keeps the
    // workers busy past a slow head record while still bounding memory.
    this.maxBuffered = Math.max(t.maxBuffered ?? 2 * this.concurrency, this.concurrency);
    this.maxAttempts = t.maxAttempts;
    this.commitIntervalMs = t.commitIntervalMs;
    this.maxCommitRecords = t.maxCommitRecords;
    this.commitThreshold = Math.max(1, Math.min(this.maxCommitRecords, Math.floor(this.maxBuffered / 2)));
    this.shutdownTimeoutMs = t.shutdownTimeoutMs;
    this.lagIntervalMs = t.lagIntervalMs;
    this.fromBeginning = t.fromBeginning;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.metrics = RuntimeMetrics.for(opts.registry ?? new Registry());
    this.log = (opts.log ?? pino({ name: "sca" })).child({ stage: opts.stage.name });
    this.dlqTopic = dlqTopicName(opts.stage.input);
    this.m = stageMetrics(this.metrics, opts.stage.name, [...opts.stage.outputs, this.dlqTopic]);
    this.health = new DependencyHealth({
      stage: opts.stage.name,
      registry: opts.registry ?? new Registry(),
      log: this.log,
      backoff: opts.probeBackoff,
      onChange: () => {
        this.afterChange();
        this.pump();
      },
    });
    for (const dep of [...(opts.stage.dependencies ?? []), ...(opts.codec.dependencies ?? [])]) this.health.declare(dep);
    this.outcomes = new OutcomePolicy({
      stage: opts.stage.name,
      dlqTopic: this.dlqTopic,
      codec: this.codec,
      health: this.health,
      maxAttempts: this.maxAttempts,
      backoff: this.backoff,
      metrics: this.metrics,
      retries: this.m.retries,
      log: this.log,
    });
  }

  /** Dependencies this stage is waiting for now. */
  get outages(): Outage[] {
    return this.health.outages();
  }

  /** close() was called: nothing new is taken, fetched or reopened. */
  private get closing(): boolean {
    return this.lifecycle === "closing" || this.lifecycle === "closed";
  }

  /** Consumer running and able to commit: what /readyz reports. */
  get ready(): boolean {
    return this.lifecycle === "running" && !this.restarting && this.consumer !== undefined;
  }

  /** Input records held now (queued, processing, or done awaiting commit). */
  get inFlight(): number {
    let n = 0;
    for (const st of this.parts.values()) n += st.tracker.size;
    return n;
  }

  async start(): Promise<void> {
    if (this.lifecycle !== "new") throw new Error(`runner for stage "${this.stage.name}" already started`);
    this.lifecycle = "starting";
    this.admin = this.transport.admin();
    try {
      await this.openSession();
    } catch (e) {
      if (this.lifecycle === "starting") this.lifecycle = "new";
      throw e;
    }
    if (this.lifecycle === "starting") this.lifecycle = "running";
    this.commitTimer = setInterval(() => void this.commit(), this.commitIntervalMs);
    this.lagTimer = setInterval(() => void this.updateLag(), this.lagIntervalMs);
    const hooks = this.stage.partitions;
    if (hooks?.punctuate) this.punctuateTimer = setInterval(() => void this.punctuate(), hooks.punctuateIntervalMs ?? 1_000);
    this.log.info(
      { input: this.stage.input, outputs: this.stage.outputs, group: this.groupId, concurrency: this.concurrency, maxBuffered: this.maxBuffered },
      "stage started",
    );
  }

  /**
   * Graceful stop: fetch nothing more, let the records already taken finish (up to the shutdown
   * timeout), commit what is done, then leave the group. Unfinished work is simply redone by the
   * next owner: it was never committed.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.lifecycle = "closing";
    this.closeSignal.abort();
    // A reopen under way either finishes (its consumer is closed below) or gives up.
    await this.restartLoop;
    this.pauseAll();
    const deadline = Date.now() + this.shutdownTimeoutMs;
    // Records held for a dependency that is down cannot finish: only those being processed are waited for.
    while (!this.allDone() && Date.now() < deadline && (this.running > 0 || !this.health.down)) await sleep(20);
    this.health.close();
    clearInterval(this.commitTimer);
    clearInterval(this.lagTimer);
    clearInterval(this.punctuateTimer);
    // A commit already running took its snapshot before the last records finished, and one commit
    // takes at most maxCommitRecords: go on until nothing committable is left (or the consumer failed).
    await this.commit();
    while (this.hasReady() && this.consumer && !this.restarting) await this.commit();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.dropAll();
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.close();
    this.lifecycle = "closed";
    this.log.info("stage stopped");
  }

  private async openSession(): Promise<void> {
    const consumer = await this.transport.consumer({
      groupId: this.groupId,
      topic: this.stage.input,
      fromBeginning: this.fromBeginning,
      instanceId: this.instanceId,
    });
    this.consumer = consumer;
    this.paused = false;
    // Callbacks from a consumer this runner has since replaced must not touch the new session's state.
    await consumer.start({
      onRecords: async (records) => {
        if (this.consumer === consumer) this.onRecords(records);
      },
      onAssigned: (partitions) => {
        if (this.consumer === consumer) this.onAssigned(partitions);
      },
      onRevoked: (partitions) => {
        if (this.consumer === consumer) this.onRevoked(partitions);
      },
    });
  }

  private onAssigned(partitions: OffsetCommit[]): void {
    const fresh: PartitionState[] = [];
    for (const p of partitions) {
      if (p.topic !== this.stage.input) continue;
      this.kill(p.partition);
      const st = this.partition(p.partition);
      st.committed = BigInt(p.offset);
      fresh.push(st);
    }
    this.log.info({ partitions: partitions.map((p) => `${p.partition}@${p.offset}`) }, "partitions assigned");
    const hooks = this.stage.partitions;
    if (hooks && fresh.length) this.restore(hooks, fresh);
  }

  /** The stage restores the partitions' state; their records wait until it has. */
  private restore(hooks: PartitionHooks, states: PartitionState[]): void {
    for (const st of states) st.held = [];
    const started = Date.now();
    hooks.assigned(states.map((st) => st.partition)).then(
      () => {
        const live = states.filter((st) => !st.dead);
        for (const st of live) {
          for (const job of st.held ?? []) this.queue.push(job);
          st.held = undefined;
        }
        this.log.info({ partitions: live.map((st) => st.partition), ms: Date.now() - started }, "partition state restored");
        this.pump();
      },
      (e: unknown) => {
        if (states.every((st) => st.dead)) return;
        this.log.error({ err: errorMessage(e), partitions: states.map((st) => st.partition) }, "restoring partition state failed; rejoining the group");
        void this.restartSession();
      },
    );
  }

  private onRevoked(partitions: TopicPartition[]): void {
    for (const p of partitions) if (p.topic === this.stage.input) this.kill(p.partition);
    this.log.info({ partitions: partitions.map((p) => p.partition) }, "partitions revoked");
    this.afterChange();
  }

  private onRecords(records: LogRecord[]): void {
    if (this.closing) return;
    let taken = 0;
    for (const record of records) {
      if (record.topic !== this.stage.input) continue;
      const st = this.partition(record.partition);
      const offset = BigInt(record.offset);
      // A transport may hand a record out twice (e.g. re-fetch after pause): track each offset once.
      const last = st.tracker.lastOffset;
      if ((last !== undefined && offset <= last) || (st.committed !== undefined && offset < st.committed)) continue;
      st.committed ??= offset;
      st.tracker.add(offset);
      const job: Job = { state: st, record, offset, attempts: 0 };
      if (st.held) st.held.push(job);
      else this.queue.push(job);
      taken++;
    }
    if (taken) this.m.recordsIn.inc(taken);
    this.pump();
    this.afterChange();
  }

  private partition(partition: number): PartitionState {
    let st = this.parts.get(partition);
    if (!st) {
      st = new PartitionState(this.stage.input, partition);
      this.parts.set(partition, st);
      if (this.paused) this.consumer?.pause([{ topic: st.topic, partition }]);
    }
    return st;
  }

  /** Drops a partition's work: its results are never committed, its running calls are told to stop. */
  private kill(partition: number): void {
    const st = this.parts.get(partition);
    if (!st) return;
    st.dead = true;
    st.abort.abort(new Error(`partition ${st.topic}[${partition}] revoked`));
    this.parts.delete(partition);
    this.stage.partitions?.revoked([partition]);
  }

  private dropAll(): void {
    for (const p of [...this.parts.keys()]) this.kill(p);
    this.queue.clear();
    this.afterChange();
  }

  private pump(): void {
    while (this.running < this.concurrency && !this.queue.isEmpty() && !this.health.down) {
      const job = this.queue.shift() as Job;
      if (job.state.dead) continue;
      this.running++;
      job.state.running++;
      void this.runJob(job);
    }
  }

  private async runJob(job: Job): Promise<void> {
    job.attempts++;
    let outcome: Outcome;
    try {
      outcome = await this.attempt(job);
    } finally {
      this.running--;
      job.state.running--;
      this.pump();
    }
    if (job.state.dead) return;
    if ("held" in outcome) {
      this.queue.unshift(job);
      this.pump();
      return;
    }
    if ("retryInMs" in outcome) {
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (job.state.dead) return;
        this.queue.push(job);
        this.pump();
      }, outcome.retryInMs);
      this.retryTimers.add(timer);
      return;
    }
    job.state.tracker.complete(job.offset, outcome.outputs);
    if (this.doneCount() >= this.commitThreshold) this.commitLanes();
  }

  /** One try at a record; never throws: every failure becomes a retry or a DLQ record. */
  private async attempt(job: Job): Promise<Outcome> {
    const { stage } = this;
    if (!job.decoded) {
      try {
        const value = this.codec.decode(stage.input, job.record.value);
        job.decoded = { value: value instanceof Promise ? await value : value };
      } catch (e) {
        if (e instanceof CodecError) return this.outcomes.toDlq(job, e.kind, e.message);
        return this.outcomes.transient(job, e, "decode");
      }
    }
    let emits: Emit[];
    const endTimer = this.m.processDuration.startTimer();
    try {
      emits = await stage.process(job.decoded.value, {
        log: this.log,
        attempt: job.attempts,
        signal: job.state.abort.signal,
        partition: job.record.partition,
        offset: job.offset,
      });
    } catch (e) {
      if (isPoison(e)) return this.outcomes.toDlq(job, e.reason, e.message, e.detail);
      return this.outcomes.transient(job, e, "process");
    } finally {
      endTimer();
    }
    if (!Array.isArray(emits)) return this.outcomes.toDlq(job, "poison", `stage "${stage.name}" returned ${typeof emits} instead of an array of outputs`);
    const outputs: OutRecord[] = [];
    for (const emit of emits) {
      if (!stage.outputs.includes(emit.topic)) {
        return this.outcomes.toDlq(
          job,
          "poison",
          `stage "${stage.name}" emitted to topic "${emit.topic}", which is not one of its outputs (${stage.outputs.join(", ")})`,
        );
      }
      try {
        const value = this.codec.encode(emit.topic, emit.value);
        outputs.push({ topic: emit.topic, key: emit.key, value: value instanceof Promise ? await value : value });
      } catch (e) {
        // The input was fine; the stage produced a record its output schema refuses: a bug in the stage,
        // and retrying would produce it again.
        if (e instanceof CodecError) return this.outcomes.toDlq(job, "poison", `stage "${stage.name}" produced an invalid output: ${e.message}`);
        return this.outcomes.transient(job, e, "encode");
      }
    }
    return { outputs };
  }

  private doneCount(): number {
    let n = 0;
    for (const st of this.parts.values()) n += st.tracker.doneCount;
    return n;
  }

  private hasReady(): boolean {
    for (const st of this.parts.values()) if (st.tracker.ready(1)) return true;
    return false;
  }

  private allDone(): boolean {
    for (const st of this.parts.values()) if (st.tracker.doneCount < st.tracker.size) return false;
    return true;
  }

  /**
   * Commits are serialised per lane: one in flight at a time in each, the next picks up whatever
   * became ready meanwhile. A transport that commits partitions independently gets a lane per
   * partition, so its round trips overlap instead of queueing behind each other.
   */
  private commit(): Promise<void> {
    return Promise.all(this.commitLanes()).then(() => undefined);
  }

  /** Starts a commit in each lane that has none in flight; returns every lane's promise. Cheap enough to call per finished record. */
  private commitLanes(): Promise<void>[] {
    if (this.consumer?.commitScope !== "partition") return [this.lanes.run("all", () => [...this.parts.values()])];
    const lanes: Promise<void>[] = [];
    for (const st of this.parts.values()) lanes.push(this.lanes.run(st.lane, () => [st]));
    return lanes;
  }

  /** Commits the ready prefix of these partitions; true when something was committed. Never throws. */
  private async commitReady(states: PartitionState[]): Promise<boolean> {
    const consumer = this.consumer;
    if (!consumer || this.restarting) return false;
    const outputs: OutRecord[] = [];
    const offsets: OffsetCommit[] = [];
    const batch: Array<[PartitionState, bigint]> = [];
    let budget = this.maxCommitRecords;
    this.commitRotation = (this.commitRotation + 1) % Math.max(1, states.length);
    for (let i = 0; i < states.length && budget > 0; i++) {
      const st = states[(this.commitRotation + i) % states.length];
      if (st.punctuating || st.held) continue;
      const r = st.tracker.ready(budget);
      const upTo = r?.commitOffset ?? (st.extra.length ? st.committed : undefined);
      if (upTo === undefined) continue;
      outputs.push(...st.extra);
      st.extra = [];
      if (r) {
        budget -= r.results.length;
        for (const outs of r.results) outputs.push(...outs);
      }
      offsets.push({ topic: st.topic, partition: st.partition, offset: upTo.toString() });
      batch.push([st, upTo]);
    }
    if (batch.length === 0) return false;
    const endTimer = this.m.commitDuration.startTimer();
    let appended: OffsetCommit[] | undefined;
    try {
      appended = await consumer.commit(outputs, offsets);
    } catch (e) {
      if (batch.every(([st]) => st.dead)) {
        // Revoked while committing: the new owner fenced this commit or will see it land, and redoes
        // the rest. Rejoining would only cost every member another rebalance.
        this.log.info({ err: errorMessage(e), offsets }, "commit of revoked partitions dropped");
        return false;
      }
      // Whether a failed commit landed is unknown (Kafka: the transaction may or may not have
      // committed). The only safe state is the group's committed one: drop everything and re-read.
      this.log.error({ err: errorMessage(e), offsets }, "commit failed; reopening the consumer from the committed offsets");
      void this.restartSession();
      return false;
    }
    endTimer();
    this.m.commits.inc();
    const perTopic = new Map<string, number>();
    for (const o of outputs) perTopic.set(o.topic, (perTopic.get(o.topic) ?? 0) + 1);
    for (const [topic, n] of perTopic) this.metrics.recordsOut.inc({ stage: this.stage.name, topic }, n);
    for (const [st, offset] of batch) {
      if (st.dead) continue;
      st.tracker.release(offset);
      st.committed = offset;
      this.stage.partitions?.committed(st.partition, offset, appended);
    }
    this.afterChange();
    return true;
  }

  /**
   * Runs the stage's punctuation on every owned partition that is quiet (nothing processing, nothing
   * done awaiting commit, no commit in flight), and commits its outputs. Returns how many outputs
   * it queued. Also what a host calls to force due work out now (`sca run` at the end of input).
   */
  async punctuate(): Promise<number> {
    const hooks = this.stage.partitions;
    if (!hooks?.punctuate || !this.consumer || this.restarting || this.closing) return 0;
    let queued = 0;
    for (const st of [...this.parts.values()]) {
      if (st.dead || st.held || st.punctuating || st.running > 0 || st.tracker.doneCount > 0 || st.committed === undefined) continue;
      if (this.lanes.busy(this.consumer.commitScope === "partition" ? st.lane : "all")) continue;
      const emits = hooks.punctuate(st.partition, st.committed - 1n);
      if (emits.length === 0) continue;
      st.punctuating = true;
      try {
        const outs: OutRecord[] = [];
        for (const e of emits) {
          if (!this.stage.outputs.includes(e.topic))
            throw new Error(`stage "${this.stage.name}" punctuated to topic "${e.topic}", which is not one of its outputs`);
          outs.push({ topic: e.topic, key: e.key, value: await this.codec.encode(e.topic, e.value) });
        }
        if (st.dead) continue;
        st.extra.push(...outs);
        queued += outs.length;
      } catch (e) {
        // The stage's state already moved on; only a restore from the changelog undoes that.
        this.log.error({ err: errorMessage(e), partition: st.partition }, "punctuation failed; rejoining so the partition's state is restored");
        void this.restartSession();
        return queued;
      } finally {
        st.punctuating = false;
      }
    }
    if (queued) await this.commit();
    return queued;
  }

  private restartSession(): Promise<void> {
    if (this.restarting || this.closing) return this.restartLoop ?? Promise.resolve();
    this.restarting = true;
    this.restartLoop = this.reopen().finally(() => {
      this.restarting = false;
      this.restartLoop = undefined;
    });
    return this.restartLoop;
  }

  private async reopen(): Promise<void> {
    const old = this.consumer;
    this.consumer = undefined;
    this.dropAll();
    try {
      await old?.close();
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, "closing the failed consumer");
    }
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        await sleep(backoffDelay(Math.min(attempt, 10), this.backoff), undefined, { signal: this.closeSignal.signal });
      } catch {
        break; // close() was called: stop trying
      }
      try {
        await this.openSession();
        this.log.info({ attempt }, "consumer reopened");
        break;
      } catch (e) {
        this.log.error({ err: errorMessage(e), attempt }, "reopening the consumer failed");
      }
    }
  }

  /** Backpressure and the in-flight gauge, after anything that changes how much is held. */
  private afterChange(): void {
    const held = this.inFlight;
    this.m.inFlight.set(held);
    if (this.closing) return;
    const hold = held >= this.maxBuffered || this.health.down;
    if (!this.paused && hold) this.pauseAll();
    else if (this.paused && !hold) {
      this.paused = false;
      this.consumer?.resume(this.assigned());
    }
  }

  private pauseAll(): void {
    this.paused = true;
    this.consumer?.pause(this.assigned());
  }

  private assigned(): TopicPartition[] {
    return [...this.parts.values()].map((st) => ({ topic: st.topic, partition: st.partition }));
  }

  private async updateLag(): Promise<void> {
    if (!this.admin || this.parts.size === 0) {
      this.metrics.consumerLag.set({ stage: this.stage.name }, 0);
      return;
    }
    try {
      const infos = await this.admin.describeTopic(this.stage.input);
      let lag = 0n;
      for (const info of infos) {
        const st = this.parts.get(info.partition);
        if (st?.committed !== undefined) lag += BigInt(info.high) - st.committed;
      }
      this.metrics.consumerLag.set({ stage: this.stage.name }, Number(lag));
    } catch (e) {
      this.log.debug({ err: errorMessage(e) }, "lag update failed");
    }
  }
}

/**
 * A stage's series exist from its start, at zero: Prometheus cannot rate a series from its first
 * sample, so a counter born at its first increment would hide that increment from rate() and
 * increase(), and dashboards would show "no data" for a stage that has not failed yet.
 */
function stageMetrics(m: RuntimeMetrics, stage: string, outputs: readonly string[]) {
  m.recordsIn.inc({ stage }, 0);
  m.retries.inc({ stage }, 0);
  m.commits.inc({ stage }, 0);
  for (const reason of DlqEnvelope.shape.reason.options) m.recordsFailed.inc({ stage, reason }, 0);
  for (const topic of outputs) m.recordsOut.inc({ stage, topic }, 0);
  m.processDuration.zero({ stage });
  m.commitDuration.zero({ stage });
  m.inFlight.set({ stage }, 0);
  return {
    recordsIn: m.recordsIn.labels({ stage }),
    retries: m.retries.labels({ stage }),
    processDuration: m.processDuration.labels({ stage }),
    commits: m.commits.labels({ stage }),
    commitDuration: m.commitDuration.labels({ stage }),
    inFlight: m.inFlight.labels({ stage }),
  };
}
