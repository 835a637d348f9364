import { estimatedJaccard } from "./minhash.ts";

export interface Bands {
  bands: number;
  rows: number;
}

/**
 * The band/row split that minimises the (equally weighted) probability mass of false positives
 * below the threshold and false negatives above it, as datasketch's MinHashLSH chooses it.
 */
const OPTIMAL = new Map<string, Bands>();

export function optimalBands(threshold: number, numPerm: number, falseNegativeWeight = 0.5): Bands {
  const key = `${threshold}/${numPerm}/${falseNegativeWeight}`;
  let known = OPTIMAL.get(key);
  if (!known) {
    known = searchBands(threshold, numPerm, falseNegativeWeight);
    OPTIMAL.set(key, known);
  }
  return known;
}

function searchBands(threshold: number, numPerm: number, falseNegativeWeight: number): Bands {
  const integrate = (f: (s: number) => number, a: number, b: number): number => {
    const n = 100; // Simpson's rule, even n
    const h = (b - a) / n;
    let sum = f(a) + f(b);
    for (let i = 1; i < n; i++) sum += f(a + i * h) * (i % 2 === 1 ? 4 : 2);
    return (sum * h) / 3;
  };
  let best: Bands = { bands: 1, rows: numPerm };
  let bestError = Infinity;
  for (let b = 1; b <= numPerm; b++) {
    for (let r = 1; r <= Math.floor(numPerm / b); r++) {
      const collide = (s: number) => 1 - (1 - s ** r) ** b;
      const fp = integrate(collide, 0, threshold);
      const fn = integrate((s) => 1 - collide(s), threshold, 1);
      const error = (1 - falseNegativeWeight) * fp + falseNegativeWeight * fn;
      if (error < bestError) {
        bestError = error;
        best = { bands: b, rows: r };
      }
    }
  }
  return best;
}

/**
 * Locality-sensitive hashing over MinHash signatures: items sharing any band are candidates, and a
 * candidate is a near-duplicate when the signatures' estimated Jaccard reaches the threshold.
 */
export class LshIndex {
  // Band keys are 32-bit hashes of the band's slots: a string per band would cost more than the
  // signatures themselves at 10^5 items. Two bands that merely hash alike only add a candidate,
  // which the Jaccard check then rejects.
  // Most buckets hold one item: it is stored bare, an array only from the second on.
  private readonly buckets: Map<number, string | string[]>[];
  private readonly signatures = new Map<string, Uint32Array>();

  constructor(
    readonly threshold: number,
    readonly numPerm: number,
    readonly bands: Bands = optimalBands(threshold, numPerm),
  ) {
    this.buckets = Array.from({ length: bands.bands }, () => new Map());
  }

  get size(): number {
    return this.signatures.size;
  }

  /** The id of an indexed item at or above the threshold, or null. */
  nearest(sig: Uint32Array): { id: string; jaccard: number } | null {
    let best: { id: string; jaccard: number } | null = null;
    for (const m of this.matches(sig)) if (!best || m.jaccard > best.jaccard) best = m;
    return best;
  }

  /** Every indexed item whose estimated Jaccard with `sig` reaches the threshold. */
  matches(sig: Uint32Array): { id: string; jaccard: number }[] {
    const out: { id: string; jaccard: number }[] = [];
    const seen = new Set<string>();
    for (let b = 0; b < this.bands.bands; b++) {
      const bucket = this.buckets[b].get(this.bandKey(sig, b));
      for (const id of bucket === undefined ? [] : typeof bucket === "string" ? [bucket] : bucket) {
        if (seen.has(id)) continue;
        seen.add(id);
        const j = estimatedJaccard(sig, this.signatures.get(id)!);
        if (j >= this.threshold) out.push({ id, jaccard: j });
      }
    }
    return out;
  }

  signatureOf(id: string): Uint32Array | undefined {
    return this.signatures.get(id);
  }

  add(id: string, sig: Uint32Array): void {
    if (sig.length !== this.numPerm) throw new Error(`signature of ${id} has ${sig.length} slots, the index wants ${this.numPerm}`);
    if (this.signatures.has(id)) return;
    this.signatures.set(id, sig);
    for (let b = 0; b < this.bands.bands; b++) {
      const key = this.bandKey(sig, b);
      const bucket = this.buckets[b].get(key);
      if (bucket === undefined) this.buckets[b].set(key, id);
      else if (typeof bucket === "string") this.buckets[b].set(key, [bucket, id]);
      else bucket.push(id);
    }
  }

  remove(id: string): void {
    const sig = this.signatures.get(id);
    if (!sig) return;
    this.signatures.delete(id);
    for (let b = 0; b < this.bands.bands; b++) {
      const key = this.bandKey(sig, b);
      const bucket = this.buckets[b].get(key);
      if (bucket === undefined) continue;
      const rest = typeof bucket === "string" ? [] : bucket.filter((x) => x !== id);
      if (rest.length === 0) this.buckets[b].delete(key);
      else this.buckets[b].set(key, rest.length === 1 ? rest[0] : rest);
    }
  }

  private bandKey(sig: Uint32Array, band: number): number {
    const start = band * this.bands.rows;
    let h = 0x811c9dc5 ^ band;
    for (let i = start; i < start + this.bands.rows; i++) h = Math.imul(h ^ sig[i], 0x01000193);
    return h >>> 0;
  }
}
