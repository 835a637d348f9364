/**
 * The words MinHash compares: identifiers, keywords and numbers (punctuation dropped, as
 * BigCode's near-dedup does), with the function's own names replaced by their order of first
 * appearance, so that a copy with renamed variables is the same text to the deduplicator.
 */
export function dedupTokens(code: string, locals: ReadonlySet<string>): string[] {
  const canonical = new Map<string, string>();
  const out: string[] = [];
  for (const [word] of code.matchAll(/[A-Za-z_][A-Za-z0-9_]*|\d+/g)) {
    if (locals.has(word)) {
      let c = canonical.get(word);
      if (c === undefined) {
        c = `v${canonical.size}`;
        canonical.set(word, c);
      }
      out.push(c);
    } else {
      out.push(word);
    }
  }
  return out;
}
