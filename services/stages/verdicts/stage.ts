import type { Registry } from "prom-client";
import { stageIo } from "../../../schemas/stages.ts";
import { DependencyUnavailableError } from "../../runtime/dependency.ts";
import { observeVerdict, qualityMetrics } from "../quality-metrics.ts";
import type { PipelineStage } from "../../runtime/stage.ts";
import { createSandbox, programFromResponse, type Sandbox } from "../../sandbox/index.ts";
import { sandboxOptionsFromEnv } from "./config.ts";
import { type Judge, verdictOf } from "./verdict-of.ts";

export interface VerdictsStage extends PipelineStage<"verdicts"> {
  close(): Promise<void>;
}

/**
 * `sca service verdicts`: responses → verdicts, one per response, keyed by instruction id. A
 * sandbox_error (our infrastructure, not the code) is never emitted as a verdict: it is thrown as the
 * sandbox's outage, and the runner probes the engine: down, the record waits for it; up, the
 * failure counts as one of the record's attempts. Scale by running more replicas; each holds its own warm pool.
 */
export async function createStage(
  env: NodeJS.ProcessEnv,
  deps: { sandbox?: Judge & Partial<Pick<Sandbox, "close" | "dependency">>; registry?: Registry } = {},
): Promise<VerdictsStage> {
  const options = sandboxOptionsFromEnv(env);
  const sandbox = deps.sandbox ?? (await createSandbox(options, env));
  const metrics = qualityMetrics(deps.registry);
  return {
    ...stageIo("verdicts"),
    // Every worker busy, plus one record waiting per worker so none idles between programs.
    concurrency: 2 * (options.concurrency ?? 2),
    dependencies: sandbox.dependency ? [sandbox.dependency] : [],
    async process(response) {
      const exec = await sandbox.run(programFromResponse(response));
      if (exec.status === "sandbox_error") {
        const message = `verdicts: sandbox error on response ${response.id}: ${exec.error ?? "unknown"}`;
        throw sandbox.dependency ? new DependencyUnavailableError(sandbox.dependency, message) : new Error(message);
      }
      const verdict = verdictOf(response, exec, sandbox, new Date());
      observeVerdict(metrics, {
        status: verdict.status,
        difficulty: response.difficulty,
        category: response.category,
        durationMs: verdict.duration_ms,
        tampering: exec.tampering,
        model: response.lineage.model ?? "unknown",
      });
      return [{ topic: "verdicts", key: verdict.instruction_id, value: verdict }];
    },
    close: async () => {
      await sandbox.close?.();
    },
  };
}
