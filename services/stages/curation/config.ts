import { z } from "zod";
import { CURATION_RULES } from "../../../schemas/records.ts";
import { commaList } from "../../shared/comma-list.ts";

/** The reference's settings (sanitize_data.py, minhash_dedup.py as sanitize.sh calls it). */
export const CurationConfig = z.object({
  /** Rules switched off, comma-separated (an ablation): any of CURATION_RULES. */
  skip: commaList(z.enum(CURATION_RULES, { error: (i) => `unknown curation rule ${JSON.stringify(i.input)}; have: ${CURATION_RULES.join(", ")}` }))
    .default([])
    .transform((a) => new Set<string>(a)),
  /** Instructions of more words than this are dropped (the reference's `remove_strange`). */
  maxInstructionWords: z.coerce.number().int().positive().default(200),
  threshold: z.coerce.number().gt(0).lte(1).default(0.7),
  ngram: z.coerce.number().int().positive().default(5),
  numPerm: z.coerce.number().int().positive().default(250),
  /** A text of fewer MinHash tokens than this is dropped by its pass (the reference's `min_length`). */
  minTokens: z.coerce.number().int().nonnegative().default(5),
});
export type CurationConfig = z.output<typeof CurationConfig>;

export const CURATION_ENV_VARS: Record<keyof CurationConfig, string> = {
  skip: "SCA_CURATION_SKIP",
  maxInstructionWords: "SCA_CURATION_MAX_WORDS",
  threshold: "SCA_CURATION_THRESHOLD",
  ngram: "SCA_CURATION_NGRAM",
  numPerm: "SCA_CURATION_NUM_PERM",
  minTokens: "SCA_CURATION_MIN_TOKENS",
};

export function loadCurationConfig(env: NodeJS.ProcessEnv): CurationConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(CURATION_ENV_VARS)) if (env[variable] !== undefined && env[variable] !== "") raw[field] = env[variable];
  const r = CurationConfig.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const field = String(i.path[0]) as keyof CurationConfig;
    return `${CURATION_ENV_VARS[field]}: ${i.message} (got ${JSON.stringify(raw[field])})`;
  });
  throw new Error(`invalid curation configuration: ${problems.join("; ")}`);
}

/** What makes two runs' features comparable: stored with each entry, so a changed setting is noticed. */
export function configDigest(c: CurationConfig): string {
  return JSON.stringify({ skip: [...c.skip].sort(), w: c.maxInstructionWords, t: c.threshold, n: c.ngram, p: c.numPerm, m: c.minTokens });
}
