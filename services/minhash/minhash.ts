/**
 * MinHash signatures over word n-gram shingles. Each of the k hash functions is a fixed 32-bit
 * bijection (xor with a per-function seed, then murmur3's finaliser), so a signature slot is the
 * minimum of a random-looking permutation of the shingle hashes: the fraction of equal slots of
 * two signatures estimates the Jaccard similarity of their shingle sets.
 */
export interface MinHashParams {
  numPerm: number;
  ngram: number;
}

export const DEFAULT_MINHASH: MinHashParams = { numPerm: 256, ngram: 5 };

const SEEDS_CACHE = new Map<number, Uint32Array>();

function seeds(n: number): Uint32Array {
  let s = SEEDS_CACHE.get(n);
  if (!s) {
    s = new Uint32Array(n);
    // a fixed sequence (splitmix32 from a constant): signatures stay comparable across runs
    let x = 0x9e3779b9;
    for (let i = 0; i < n; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    SEEDS_CACHE.set(n, s);
  }
  return s;
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units: a fast, stable 32-bit hash of one shingle. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h >>> 0);
}

/** The distinct word n-grams of a token list (the whole list when it is shorter than n). */
export function shingles(tokens: readonly string[], ngram: number): Set<string> {
  const out = new Set<string>();
  if (tokens.length === 0) return out;
  if (tokens.length <= ngram) {
    out.add(tokens.join(" "));
    return out;
  }
  for (let i = 0; i + ngram <= tokens.length; i++) out.add(tokens.slice(i, i + ngram).join(" "));
  return out;
}

export function signature(shingleSet: ReadonlySet<string>, numPerm: number): Uint32Array {
  const sig = new Uint32Array(numPerm).fill(0xffffffff);
  const s = seeds(numPerm);
  for (const sh of shingleSet) {
    const h = hashString(sh);
    for (let i = 0; i < numPerm; i++) {
      const v = fmix32(h ^ s[i]);
      if (v < sig[i]) sig[i] = v;
    }
  }
  return sig;
}

export function estimatedJaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new Error(`signatures differ in length: ${a.length} vs ${b.length}`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** A signature as text (base64 of its little-endian uint32 slots), for files and changelog records. */
export function encodeSignature(sig: Uint32Array): string {
  return Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength).toString("base64");
}

export function decodeSignature(s: string): Uint32Array {
  const buf = Buffer.from(s, "base64");
  const out = new Uint32Array(buf.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readUInt32LE(i * 4);
  return out;
}
