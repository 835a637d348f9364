import { z } from "zod";
import { Category, type DatasetSample, Difficulty } from "../../../schemas/records.ts";

/**
 * One row of the exported dataset: flat columns a trainer loads directly (Hugging Face `datasets`,
 * pandas), the same in train.jsonl and the parquet files. Lineage beyond these columns stays in
 * the `dataset` topic.
 */
export const ExportRow = z.object({
  id: z.string(),
  instruction_id: z.string(),
  response_id: z.string(),
  instruction: z.string(),
  response: z.string(),
  tests: z.string(),
  seed_id: z.string(),
  seed: z.string(),
  seed_path: z.string(),
  seed_repo: z.string(),
  seed_license: z.string(),
  concepts: z.array(z.string()),
  category: Category,
  difficulty: Difficulty,
  model: z.string(),
  prompt_hash: z.string(),
  selection_policy: z.string(),
  n_samples: z.number().int(),
  n_passed: z.number().int(),
  sandbox_image: z.string(),
  run_id: z.string(),
  created_at: z.string(),
});
export type ExportRow = z.infer<typeof ExportRow>;

export function toExportRow(s: DatasetSample): ExportRow {
  return {
    id: s.id,
    instruction_id: s.instruction_id,
    response_id: s.response_id,
    instruction: s.instruction,
    response: s.response,
    tests: s.tests,
    seed_id: s.seed_id,
    seed: s.seed,
    seed_path: s.seed_path,
    seed_repo: s.seed_repo,
    seed_license: s.seed_license,
    concepts: s.concepts,
    category: s.category,
    difficulty: s.difficulty,
    model: s.model,
    prompt_hash: s.prompt_hash,
    selection_policy: s.selection_policy,
    n_samples: s.n_samples,
    n_passed: s.n_passed,
    sandbox_image: s.lineage.sandbox_image ?? "",
    run_id: s.lineage.run_id,
    created_at: s.created_at,
  };
}
