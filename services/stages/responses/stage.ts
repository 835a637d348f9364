import type { Registry } from "prom-client";
import { stageIo } from "../../../schemas/stages.ts";
import { dlqTopicName } from "../../../schemas/topics.ts";
import { LlmStageKit } from "../../llm/stage-kit.ts";
import { PoisonError } from "../../runtime/errors.ts";
import type { PipelineStage, StageEmit } from "../../runtime/stage.ts";
import { joinTests, responseRecords, responsesRequest, sampleDlqEnvelope, testsRequest } from "./logic.ts";

/**
 * `sca service responses`: instructions → responses, one record per parsable sample, keyed by
 * instruction id. Unparsable samples go to the DLQ one by one; if none parses, the instruction does.
 */
export async function createStage(env: NodeJS.ProcessEnv, deps: { registry?: Registry; kit?: LlmStageKit } = {}): Promise<PipelineStage<"responses">> {
  const kit = deps.kit ?? LlmStageKit.fromEnv(env, "responses", deps.registry);
  const dlq = dlqTopicName("instructions");
  return {
    ...stageIo("responses"),
    concurrency: kit.concurrency,
    dependencies: kit.dependencies,
    async process(ins, ctx) {
      const req = responsesRequest(ins, kit.gen);
      const first = await kit.complete(req, ctx.signal);
      let choices = first.choices;
      let found: Parameters<typeof responseRecords>[5] = [];
      if (kit.gen.settings.tests === "after-code") {
        // After-code tests: each sample's code gets its own tests completions.
        const requests = choices.map((c, i) => testsRequest(ins, req, c, i));
        const tests = await Promise.all(requests.map(async (f) => ("request" in f ? (await kit.complete(f.request, ctx.signal)).choices : undefined)));
        ({ choices, found } = joinTests(choices, requests, tests));
      }
      const now = new Date();
      const { responses, failures } = responseRecords(ins, req, choices, kit.gen, now, found);
      const reasons = failures.map((f) => kit.countParseFailure(f.failure, f.choice));
      if (responses.length === 0) {
        throw new PoisonError(
          `responses: none of ${choices.length} samples parsed (${reasons.join(", ")})`,
          reasons.every((r) => r === "truncated") ? "truncated_output" : "unparsable_output",
          {
            reasons,
            raws: failures.map((f) => f.choice.text),
          },
        );
      }
      const out: StageEmit<"responses">[] = responses.map((r) => ({ topic: "responses", key: ins.id, value: r }));
      failures.forEach((f, i) => out.push({ topic: dlq, key: ins.id, value: sampleDlqEnvelope(ins, f, reasons[i], ctx.attempt, now) }));
      return out;
    },
  };
}
