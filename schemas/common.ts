import { createHash } from "node:crypto";
import { z } from "zod";

/** Bumped whenever a record schema changes shape; carried in every record's lineage. */
export const SCHEMA_VERSION = 1;

export const Id = z.string().regex(/^[0-9a-f]{32}$/, "id must be 32 lowercase hex chars (content hash)");

export const Sampling = z.object({
  temperature: z.number().min(0),
  max_tokens: z.number().int().positive(),
  seed: z.number().int().optional(),
  n: z.number().int().positive(),
  top_p: z.number().optional(),
  stop: z.array(z.string()).optional(),
  /** The format grammar decoding was held to (services/llm/format-grammar.ts), when one was. */
  grammar: z.string().optional(),
  repetition_penalty: z.number().optional(),
  /** Responses whose tests were sampled after the code (SCA_RESPONSES_TESTS=after-code): their temperature. */
  tests_temperature: z.number().min(0).optional(),
  /** After-code tests drawn per code sample (SCA_TESTS_PER_CODE), when more than one: each pairing is its own sample. */
  tests_per_code: z.number().int().min(2).optional(),
});
export type Sampling = z.infer<typeof Sampling>;

/** Where a record came from: enough to reproduce or audit it. */
export const Lineage = z.object({
  run_id: z.string().min(1),
  schema_version: z.number().int(),
  created_at: z.string(),
  model: z.string().optional(),
  prompt_hash: z.string().optional(),
  sampling: Sampling.optional(),
  sandbox_image: z.string().optional(),
});
export type Lineage = z.infer<typeof Lineage>;

/**
 * Ids are content hashes of (parent id, stage, the parameters that shaped the output, sample index):
 * re-processing the same input with the same parameters yields the same id, so duplicates are
 * detectable anywhere downstream.
 */
export function contentId(parts: { parent: string; stage: string; params?: unknown; sample?: number }): string {
  const h = createHash("sha256");
  h.update(parts.parent);
  h.update("\0");
  h.update(parts.stage);
  h.update("\0");
  h.update(stableJson(parts.params ?? null));
  h.update("\0");
  h.update(String(parts.sample ?? 0));
  return h.digest("hex").slice(0, 32);
}

/** JSON with sorted keys, so that hashing does not depend on property order. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(",")}}`;
}

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
