import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { type BackoffPolicy, backoffDelay } from "../shared/backoff.ts";
import { type Dependency, type DependencyUnavailableError, formatDowntime } from "./dependency.ts";

/** Probes start fast (a restart is often quick) and settle at one every 15 s (a model load takes minutes). */
export const DEFAULT_PROBE_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 15_000 };

export interface Outage {
  stage: string;
  dependency: string;
  target: string;
  /** ms since the epoch */
  since: number;
  lastError: string;
}

/** "waiting for the LLM server at URL (down 1m20s)". */
export function describeOutage(o: Outage, now = Date.now()): string {
  return `waiting for ${o.target} (down ${formatDowntime(now - o.since)})`;
}

class DependencyMetrics {
  readonly up: Gauge<"stage" | "dependency">;
  readonly outageSeconds: Counter<"stage" | "dependency">;

  private constructor(registry: Registry) {
    const registers = [registry];
    this.up = new Gauge({
      name: "sca_dependency_up",
      help: "1 while a stage's dependency (LLM server, sandbox, registry) answers its probe, 0 during an outage",
      labelNames: ["stage", "dependency"],
      registers,
    });
    this.outageSeconds = new Counter({
      name: "sca_dependency_outage_seconds_total",
      help: "Seconds a stage spent waiting for a dependency that was down",
      labelNames: ["stage", "dependency"],
      registers,
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, DependencyMetrics>();
  static for(registry: Registry): DependencyMetrics {
    let m = DependencyMetrics.byRegistry.get(registry);
    if (!m) DependencyMetrics.byRegistry.set(registry, (m = new DependencyMetrics(registry)));
    return m;
  }
}

export interface DependencyHealthOptions {
  stage: string;
  registry: Registry;
  log: Logger;
  /** Delays between probes while a dependency is down. */
  backoff?: BackoffPolicy;
  /** A probe that has not answered in this long failed. */
  probeTimeoutMs?: number;
  /** A successful probe younger than this vouches for the dependency without probing again. */
  freshMs?: number;
  /** Called when a dependency goes down or comes back: the runner pauses or resumes its intake. */
  onChange: () => void;
}

interface Tracked {
  dep: Dependency;
  outage?: Outage;
  /** performance.now() of the outage time already counted. */
  accounted: number;
  probing?: Promise<boolean>;
  lastUp: number;
}

/**
 * One stage's view of its dependencies. A record that failed with a dependency's error is not
 * judged by the error alone: the dependency is probed. If the probe fails, the dependency is down:
 * the stage takes no new records until a probe (with capped back-off) succeeds, and the record is
 * held without spending an attempt. If it answers, the failure is the record's own and counts as an
 * attempt, so a record that kills the server every time still reaches the DLQ.
 */
export class DependencyHealth {
  private readonly deps = new Map<string, Tracked>();
  private readonly metrics: DependencyMetrics;
  private readonly backoff: BackoffPolicy;
  private readonly probeTimeoutMs: number;
  private readonly freshMs: number;
  private readonly stop = new AbortController();

  constructor(private readonly opts: DependencyHealthOptions) {
    this.metrics = DependencyMetrics.for(opts.registry);
    this.backoff = opts.backoff ?? DEFAULT_PROBE_BACKOFF;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 10_000;
    this.freshMs = opts.freshMs ?? 1_000;
  }

  /** Makes the dependency's series exist (up, no outage) before anything fails. */
  declare(dep: Dependency): void {
    this.track(dep);
  }

  private track(dep: Dependency): Tracked {
    let t = this.deps.get(dep.name);
    if (!t) {
      t = { dep, accounted: 0, lastUp: -Infinity };
      this.deps.set(dep.name, t);
      this.metrics.up.set({ stage: this.opts.stage, dependency: dep.name }, 1);
      this.metrics.outageSeconds.inc({ stage: this.opts.stage, dependency: dep.name }, 0);
    }
    return t;
  }

  /** Some dependency is down: take no new records. */
  get down(): boolean {
    for (const t of this.deps.values()) if (t.outage) return true;
    return false;
  }

  outages(): Outage[] {
    return [...this.deps.values()].flatMap((t) => (t.outage ? [t.outage] : []));
  }

  /** After a record failed with a dependency's error: "down" holds the record, "up" makes the failure the record's. */
  async verify(err: DependencyUnavailableError): Promise<"up" | "down"> {
    const t = this.track(err.dependency);
    if (t.outage) return "down";
    if (performance.now() - t.lastUp < this.freshMs) return "up";
    // A burst of failures (every in-flight call at once) shares one probe.
    t.probing ??= this.probe(t).finally(() => (t.probing = undefined));
    if (await t.probing) return "up";
    // Another record's probe may have declared the outage while this one waited.
    const current = t.outage as Outage | undefined;
    if (current) current.lastError = err.message;
    else this.goDown(t, err.message);
    return "down";
  }

  close(): void {
    this.stop.abort();
  }

  private async probe(t: Tracked): Promise<boolean> {
    const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.probeTimeoutMs)]);
    try {
      await t.dep.probe(signal);
      t.lastUp = performance.now();
      return true;
    } catch (e) {
      if (t.outage) t.outage.lastError = e instanceof Error ? e.message : String(e);
      return false;
    }
  }

  private goDown(t: Tracked, error: string): void {
    const labels = { stage: this.opts.stage, dependency: t.dep.name };
    t.outage = { stage: this.opts.stage, dependency: t.dep.name, target: t.dep.target, since: Date.now(), lastError: error };
    t.accounted = performance.now();
    this.metrics.up.set(labels, 0);
    this.opts.log.warn({ dependency: t.dep.name, target: t.dep.target, err: error }, "dependency down: holding records and probing until it answers");
    this.opts.onChange();
    void this.waitForRecovery(t);
  }

  private async waitForRecovery(t: Tracked): Promise<void> {
    const labels = { stage: this.opts.stage, dependency: t.dep.name };
    for (let attempt = 1; !this.stop.signal.aborted; attempt++) {
      try {
        await sleep(backoffDelay(Math.min(attempt, 20), this.backoff), undefined, { signal: this.stop.signal });
      } catch {
        break;
      }
      const ok = await this.probe(t);
      const now = performance.now();
      this.metrics.outageSeconds.inc(labels, (now - t.accounted) / 1000);
      t.accounted = now;
      if (!ok) {
        this.opts.log.debug({ dependency: t.dep.name, attempt, err: t.outage?.lastError }, "dependency still down");
        continue;
      }
      const downMs = Date.now() - (t.outage?.since ?? Date.now());
      t.outage = undefined;
      this.metrics.up.set(labels, 1);
      this.opts.log.info({ dependency: t.dep.name, target: t.dep.target, downFor: formatDowntime(downMs) }, "dependency back: resuming");
      this.opts.onChange();
      return;
    }
  }
}
