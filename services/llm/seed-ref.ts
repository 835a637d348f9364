import type { Seed, SeedRef } from "../../schemas/records.ts";

/** The provenance every generated record carries, taken from its seed. */
export function seedRef(seed: Seed): SeedRef {
  return { seed_id: seed.id, seed: seed.standalone, path: seed.path, repo: seed.repo, license: seed.license };
}
