import type { Registry } from "prom-client";
import { stageIo } from "../../../schemas/stages.ts";
import { LlmStageKit } from "../../llm/stage-kit.ts";
import type { PipelineStage } from "../../runtime/stage.ts";
import { conceptsRecord, conceptsRequest } from "./logic.ts";

/** `sca service concepts`: seeds → concepts (one record per seed, keyed by seed id). */
export async function createStage(env: NodeJS.ProcessEnv, deps: { registry?: Registry; kit?: LlmStageKit } = {}): Promise<PipelineStage<"concepts">> {
  const kit = deps.kit ?? LlmStageKit.fromEnv(env, "concepts", deps.registry);
  return {
    ...stageIo("concepts"),
    concurrency: kit.concurrency,
    dependencies: kit.dependencies,
    async process(seed, ctx) {
      const req = conceptsRequest(seed, kit.gen);
      const { choices } = await kit.complete(req, ctx.signal);
      const out = conceptsRecord(seed, req, choices[0], kit.gen, new Date());
      if (!out.ok) throw kit.unparsable(out, choices[0]);
      return [{ topic: "concepts", key: seed.id, value: out.value }];
    },
  };
}
