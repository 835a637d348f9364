import { createHash } from "node:crypto";

/**
 * The reference's exact-match dedup key: the instruction with all whitespace removed. Hashed so the
 * key stays small whatever the instruction's length.
 */
export function instructionDedupKey(instruction: string): string {
  return createHash("sha256").update(instruction.replace(/\s+/g, "")).digest("hex").slice(0, 32);
}
