import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** LLM calls and sandbox runs take seconds to minutes: prom-client's default buckets stop at 10 s. */
export const DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The runtime's metrics; one set per registry, shared by every runner on it (labelled by stage). */
export class RuntimeMetrics {
  readonly recordsIn: Counter<"stage">;
  readonly recordsOut: Counter<"stage" | "topic">;
  readonly recordsFailed: Counter<"stage" | "reason">;
  readonly retries: Counter<"stage">;
  readonly processDuration: Histogram<"stage">;
  readonly inFlight: Gauge<"stage">;
  readonly consumerLag: Gauge<"stage">;
  readonly commits: Counter<"stage">;
  readonly commitDuration: Histogram<"stage">;

  private constructor(registry: Registry) {
    const registers = [registry];
    this.recordsIn = new Counter({ name: "sca_records_in_total", help: "Input records received by a stage", labelNames: ["stage"], registers });
    this.recordsOut = new Counter({
      name: "sca_records_out_total",
      help: "Records a stage committed to an output topic (DLQ included)",
      labelNames: ["stage", "topic"],
      registers,
    });
    this.recordsFailed = new Counter({
      name: "sca_records_failed_total",
      help: "Input records sent to the DLQ, by reason",
      labelNames: ["stage", "reason"],
      registers,
    });
    this.retries = new Counter({ name: "sca_retries_total", help: "Retries of transient processing errors", labelNames: ["stage"], registers });
    this.processDuration = new Histogram({
      name: "sca_process_duration_seconds",
      help: "Duration of one process() call",
      labelNames: ["stage"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: "sca_in_flight",
      help: "Input records held by a stage: queued, processing, or done and awaiting commit",
      labelNames: ["stage"],
      registers,
    });
    this.consumerLag = new Gauge({
      name: "sca_consumer_lag",
      help: "Records not yet committed on the partitions a stage owns (high watermark minus committed offset)",
      labelNames: ["stage"],
      registers,
    });
    this.commits = new Counter({ name: "sca_commits_total", help: "Atomic output+offset commits", labelNames: ["stage"], registers });
    this.commitDuration = new Histogram({
      name: "sca_commit_duration_seconds",
      help: "Duration of one atomic commit",
      labelNames: ["stage"],
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, RuntimeMetrics>();

  /** prom-client refuses a second metric of the same name on a registry, so runners in one process share one set. */
  static for(registry: Registry): RuntimeMetrics {
    let m = RuntimeMetrics.byRegistry.get(registry);
    if (!m) {
      m = new RuntimeMetrics(registry);
      RuntimeMetrics.byRegistry.set(registry, m);
    }
    return m;
  }
}
