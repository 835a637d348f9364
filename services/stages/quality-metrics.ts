import { Counter, Histogram, register as globalRegistry, type Registry } from "prom-client";
import type { Category, Difficulty, TamperingKind, VerdictStatus } from "../../schemas/records.ts";
import type { z } from "zod";
import { DURATION_BUCKETS } from "../runtime/metrics.ts";

/**
 * What the dashboards need about the data itself, beyond the runtime's record counts: sandbox
 * outcomes, pass rates by difficulty and category, reward-hacking attempts, and selection decisions.
 * Every label value comes from a closed enum of the record schemas, so cardinality is fixed (6 statuses
 * x 3 x 3), except the tampering counter's model, one value per model a run is pointed at.
 */
export interface QualityMetrics {
  /** Incremented by the verdicts stage, once per verdict it emits. */
  verdicts: Counter<"status" | "difficulty" | "category">;
  /** Observed by the verdicts stage: wall time of one sandbox execution, by outcome. */
  sandboxDuration: Histogram<"status">;
  /** Incremented by the verdicts stage per kind of forgery a program attempted (never a pass), by the model that wrote it. */
  tampering: Counter<"kind" | "model">;
  /** Incremented by the selector, once per decision it takes for an instruction. */
  selections: Counter<"outcome">;
}

const byRegistry = new WeakMap<Registry, QualityMetrics>();

/** One set per registry, so the stages of `sca run` share it (prom-client refuses duplicate names). */
export function qualityMetrics(registry: Registry = globalRegistry): QualityMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const m: QualityMetrics = {
    verdicts: new Counter({
      name: "sca_verdicts_total",
      help: "Sandbox verdicts by status and the instruction's difficulty and category",
      labelNames: ["status", "difficulty", "category"],
      registers,
    }),
    sandboxDuration: new Histogram({
      name: "sca_sandbox_run_duration_seconds",
      help: "Wall time of one sandbox execution, by verdict status",
      labelNames: ["status"],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    tampering: new Counter({
      name: "sca_verdict_tampering_total",
      help: "Programs that tried to forge their sandbox completion (reward hacking), by kind of attempt and by the model that wrote them",
      labelNames: ["kind", "model"],
      registers,
    }),
    selections: new Counter({
      name: "sca_selections_total",
      help: "Selector decisions per instruction: selected, no_pass, contaminated",
      labelNames: ["outcome"],
      registers,
    }),
  };
  byRegistry.set(registry, m);
  return m;
}

export interface VerdictFacts {
  status: z.infer<typeof VerdictStatus>;
  difficulty: z.infer<typeof Difficulty>;
  category: z.infer<typeof Category>;
  durationMs: number;
  tampering: TamperingKind[];
  /** The model that wrote the response (its lineage), "unknown" when not recorded. */
  model: string;
}

/** The verdicts stage's one call per verdict. */
export function observeVerdict(m: QualityMetrics, v: VerdictFacts): void {
  m.verdicts.inc({ status: v.status, difficulty: v.difficulty, category: v.category });
  m.sandboxDuration.observe({ status: v.status }, v.durationMs / 1000);
  for (const kind of v.tampering) m.tampering.inc({ kind, model: v.model });
}
