/**
 * The reference's fenced-block finder (star_align.utils.find_codeblock_indices), kept to its exact
 * behaviour: a tag is whatever follows the opening fence on its line, an untagged block starts right
 * after the fence, an unclosed fence ends the search. Blocks are returned stripped.
 */
export function findCodeBlocks(text: string, tag?: string): string[] {
  const out: string[] = [];
  let from = 0;
  while (text.indexOf("```", from) >= 0) {
    const codeStart = text.indexOf("```", from) + 3;
    let tagEnd = text.indexOf("\n", codeStart);
    if (tagEnd === -1) tagEnd = codeStart;
    const found = text.slice(codeStart, tagEnd).trim();
    const start = found ? tagEnd + 1 : codeStart;
    const end = text.indexOf("```", start);
    if (end === -1) break;
    if (tag === undefined || found.toLowerCase() === tag.toLowerCase()) out.push(text.slice(start, end).trim());
    from = end + 3;
  }
  return out;
}
