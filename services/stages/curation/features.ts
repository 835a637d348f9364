import type { Parser } from "web-tree-sitter";
import type { CurationRule, CurationState, SelectedPair } from "../../../schemas/records.ts";
import { encodeSignature, shingles, signature } from "../../minhash/minhash.ts";

import { findCodeBlocks } from "./code-blocks.ts";
import type { CurationConfig } from "./config.ts";
import { exactKey } from "./exact-key.ts";
import { formatFailure } from "./format.ts";
import { codeRepresentation, pythonFacts } from "./python-code.ts";
import type { NearPass } from "./rules.ts";

export type Features = NonNullable<CurationState["features"]>;

/**
 * minhash_dedup.py's words: the lowercased text split at every non-word character (Python's `\W`),
 * empty strings included, as `re.split` leaves them.
 */
export function minhashTokens(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}_]/u);
}

/** The reference's name key: names with underscores removed, lowercased, as a set. */
function nameKey(names: string[]): string | null {
  const set = [...new Set(names.map((n) => n.replace(/_/g, "").toLowerCase()))].sort();
  return set.length > 0 ? set.join(",") : null;
}

/** Everything curation decides a pair on, computed once when the pair arrives. */
export function pairFeatures(pair: SelectedPair, parser: Parser, c: CurationConfig): Features {
  let failed: CurationRule | null = formatFailure(pair.raw, c.skip);
  const blocks = findCodeBlocks(pair.response);
  const first = pythonFacts(parser, blocks[0] ?? "");
  const representation = codeRepresentation(parser, blocks.join("\n"));
  if (!failed && !c.skip.has("unparsable") && (!first.parses || representation === null)) failed = "unparsable";
  if (!failed && !c.skip.has("too_long") && pair.instruction.split(/\s+/).filter(Boolean).length > c.maxInstructionWords) failed = "too_long";
  const texts: Record<NearPass, string | null> = {
    instruction: pair.instruction,
    response: pair.response,
    code: representation?.trim() ? representation : null,
  };
  const signatures: Features["signatures"] = { instruction: null, response: null, code: null };
  for (const pass of ["instruction", "response", "code"] as const) {
    const text = texts[pass];
    if (text === null) continue;
    const tokens = minhashTokens(text);
    if (tokens.length < c.minTokens) {
      if (!failed && !c.skip.has("too_short")) failed = "too_short";
      continue;
    }
    signatures[pass] = encodeSignature(signature(shingles(tokens, c.ngram), c.numPerm));
  }
  const names = [nameKey(first.functions), nameKey(first.classes)].filter((k): k is string => k !== null);
  return { failed, instruction_key: exactKey(pair.instruction), response_key: exactKey(pair.response), names, signatures };
}
