import { contentId, SCHEMA_VERSION } from "../../../schemas/common.ts";
import type { SelectedPair, Verdict } from "../../../schemas/records.ts";

/** The dataset row a verdict's response would become if selected; n_passed is filled in at decision time. */
export function toRow(v: Verdict, policy: string, now: Date): SelectedPair {
  const r = v.response;
  const createdAt = now.toISOString();
  return {
    id: contentId({ parent: v.response_id, stage: "selector", params: { policy } }),
    instruction_id: v.instruction_id,
    response_id: v.response_id,
    instruction: r.instruction,
    response: r.response,
    tests: r.tests,
    raw: r.raw,
    seed_id: r.seed.seed_id,
    seed: r.seed.seed,
    seed_path: r.seed.path,
    seed_repo: r.seed.repo,
    seed_license: r.seed.license,
    concepts: r.concepts,
    category: r.category,
    difficulty: r.difficulty,
    model: r.lineage.model ?? "unknown",
    prompt_hash: r.lineage.prompt_hash ?? "unknown",
    selection_policy: policy,
    n_samples: v.n_samples,
    n_passed: 0,
    created_at: createdAt,
    lineage: {
      run_id: v.lineage.run_id,
      schema_version: SCHEMA_VERSION,
      created_at: createdAt,
      ...(r.lineage.model !== undefined ? { model: r.lineage.model } : {}),
      ...(r.lineage.prompt_hash !== undefined ? { prompt_hash: r.lineage.prompt_hash } : {}),
      ...(r.lineage.sampling !== undefined ? { sampling: r.lineage.sampling } : {}),
      ...(v.lineage.sandbox_image !== undefined ? { sandbox_image: v.lineage.sandbox_image } : {}),
    },
  };
}
