import type { DUPLICATE_RULES } from "../../../schemas/records.ts";

export type DuplicateRule = (typeof DUPLICATE_RULES)[number];

/** The three MinHash passes of the reference's sanitize.sh, each over one representation of the pair. */
export const NEAR_PASSES = ["instruction", "response", "code"] as const;
export type NearPass = (typeof NEAR_PASSES)[number];

export const NEAR_RULE: Record<NearPass, DuplicateRule> = { instruction: "near_instruction", response: "near_response", code: "near_code" };
