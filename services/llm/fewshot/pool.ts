import { z } from "zod";
import { sha256Hex, stableJson } from "../../../schemas/common.ts";
import { describeZodError } from "../../shared/zod-error.ts";
import type { SeededRng } from "../rng.ts";
import { EASY_EXAMPLES } from "./easy-examples.ts";
import { EXAMPLES } from "./examples.ts";
import { FewShotExample } from "./schema.ts";

/**
 * How shots are chosen per request. `random` is the reference's behaviour (k examples drawn per
 * request); `fixed` uses the same k examples in the same order for every request of a run, so an
 * inference server with prefix caching reuses the KV cache of the whole few-shot block.
 */
export const ShotOrder = z.enum(["random", "fixed"]);
export type ShotOrder = z.infer<typeof ShotOrder>;

/** The built-in pools (SCA_FEWSHOT_POOL): `default` is the diverse pool, `easy` the one for small local models. */
export const POOLS = { default: EXAMPLES, easy: EASY_EXAMPLES } as const;
export const PoolName = z.enum(["default", "easy"]);
export type PoolName = z.infer<typeof PoolName>;

export class FewShotPool {
  readonly examples: readonly FewShotExample[];
  /** Identifies the pool's content: part of every prompt hash. */
  readonly digest: string;

  constructor(examples: readonly unknown[] = EXAMPLES) {
    this.examples = examples.map((e, i) => {
      const r = FewShotExample.safeParse(e);
      if (!r.success) throw new Error(`few-shot example ${i} is invalid: ${describeZodError(r.error, e)}`);
      return r.data;
    });
    if (this.examples.length === 0) throw new Error("the few-shot pool is empty");
    this.digest = sha256Hex(stableJson(this.examples)).slice(0, 16);
  }

  /** k shots for one request; `rng` is seeded from the record so replays pick the same ones. */
  pick(k: number, order: ShotOrder, rng: SeededRng): FewShotExample[] {
    return order === "fixed" ? this.examples.slice(0, k) : rng.sample(this.examples, k);
  }
}
