import type { Completer } from "../../llm/stage-kit.ts";
import { standaloneOf } from "../candidate.ts";
import { JUDGE_SAMPLING, judgePrompt, judgeSaysYes } from "../judge.ts";
import type { BatchFilter } from "./filter.ts";

/**
 * The optional base-model judge over a batch at once (the client's adaptive limit decides how many
 * requests are in flight). Placed after exact dedup, so re-ingesting a corpus asks the model nothing.
 */
export function qualityJudgeFilter(llm: Completer): BatchFilter {
  return {
    kind: "batch",
    name: "quality_judge",
    description: "the base model says the docstring matches the code",
    checkBatch: (cs) =>
      Promise.all(
        cs.map(async (c) => {
          const r = await llm.complete(
            { prompt: judgePrompt(standaloneOf(c, "quality_judge").code), ...JUDGE_SAMPLING, stop: [...JUDGE_SAMPLING.stop] },
            { stage: "seeds-judge" },
          );
          const answer = r.choices[0]?.text ?? "";
          return judgeSaysYes(answer) ? null : `judge answered ${JSON.stringify(answer.trim().slice(0, 20))}`;
        }),
      ),
  };
}
