import type { Registry } from "prom-client";
import { stageIo } from "../../../schemas/stages.ts";
import { LlmStageKit } from "../../llm/stage-kit.ts";
import type { PipelineStage } from "../../runtime/stage.ts";
import { instructionPlan, instructionRecord } from "./logic.ts";

/** `sca service instructions`: concepts → instructions (one task per concepts record, keyed by instruction id). */
export async function createStage(env: NodeJS.ProcessEnv, deps: { registry?: Registry; kit?: LlmStageKit } = {}): Promise<PipelineStage<"instructions">> {
  const kit = deps.kit ?? LlmStageKit.fromEnv(env, "instructions", deps.registry);
  return {
    ...stageIo("instructions"),
    concurrency: kit.concurrency,
    dependencies: kit.dependencies,
    async process(concepts, ctx) {
      const plan = instructionPlan(concepts, kit.gen);
      const { choices } = await kit.complete(plan.req, ctx.signal);
      const out = instructionRecord(concepts, plan, choices[0], kit.gen, new Date());
      if (!out.ok) throw kit.unparsable(out, choices[0]);
      return [{ topic: "instructions", key: out.value.id, value: out.value }];
    },
  };
}
