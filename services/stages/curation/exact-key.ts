import { createHash } from "node:crypto";

/**
 * The reference's exact-match dedup key: the text with all whitespace removed. Hashed so the key
 * stays small whatever the text's length.
 */
export function exactKey(text: string): string {
  return createHash("sha256").update(text.replace(/\s+/g, "")).digest("hex").slice(0, 32);
}
