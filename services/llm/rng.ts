import { createHash } from "node:crypto";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** A 31-bit seed from any parts (run seed, stage, record id): same parts, same seed, on any machine. */
export function deriveSeed(...parts: Array<string | number>): number {
  return createHash("sha256").update(parts.join("\0")).digest().readUInt32BE(0) >>> 1;
}

/** Deterministic choices for one record, so that a replay samples the same shots and properties. */
export class SeededRng {
  private readonly gen;

  constructor(...parts: Array<string | number>) {
    this.gen = xoroshiro128plus(deriveSeed(...parts));
  }

  int(from: number, to: number): number {
    return uniformInt(this.gen, from, to);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("cannot pick from an empty list");
    return items[this.int(0, items.length - 1)];
  }

  /** k distinct items in random order (partial Fisher–Yates). */
  sample<T>(items: readonly T[], k: number): T[] {
    const a = [...items];
    const take = Math.min(k, a.length);
    for (let i = 0; i < take; i++) {
      const j = this.int(i, a.length - 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a.slice(0, take);
  }
}
