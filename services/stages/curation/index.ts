import { type CurationState, type DatasetSample, DUPLICATE_RULES } from "../../../schemas/records.ts";
import { LshIndex, optimalBands } from "../../minhash/lsh.ts";
import { decodeSignature, encodeSignature } from "../../minhash/minhash.ts";
import type { Features } from "./features.ts";
import { NEAR_PASSES, NEAR_RULE, type DuplicateRule } from "./rules.ts";

export interface IndexOptions {
  skip: ReadonlySet<string>;
  threshold: number;
  numPerm: number;
  /** configDigest of the settings: entries restored with another are left out of the index until their pair comes again. */
  config: string;
}

/** One step's output, in the order it must be written: state updates and dataset records (rows and retractions). */
export type Change = { kind: "state"; state: CurationState; repeated?: true; newlyDropped?: true } | { kind: "dataset"; row: DatasetSample };

const NO_SIGNATURES = { instruction: null, response: null, code: null };

/**
 * The curation decision over every selected pair, kept incrementally. The rule is greedy in
 * instruction-id order: a pair is kept iff it passes the standalone checks and no KEPT pair with a
 * smaller instruction id duplicates it under an enabled rule. That is a function of the set of
 * pairs alone, so arrival order, replays and restarts give the same dataset.
 *
 * A pair's status depends only on pairs with smaller ids, so a change is propagated in id order:
 * when a pair becomes kept or stops being kept, each duplicate with a larger id is decided again,
 * and so on from those that change. A later-arriving small id can thus displace an exported row
 * (retracted), and a retraction can bring back a pair it alone was blocking.
 *
 * In memory the signatures live only in the LSH indexes; a state record gets them back when written.
 */
export class CurationIndex {
  private readonly entries = new Map<string, CurationState>();
  private readonly exact: Record<"instruction" | "response" | "names", Map<string, Set<string>>> = {
    instruction: new Map(),
    response: new Map(),
    names: new Map(),
  };
  private readonly near: Record<(typeof NEAR_PASSES)[number], LshIndex>;
  private readonly rules: DuplicateRule[];

  constructor(private readonly opts: IndexOptions) {
    // Every band collision is checked against the estimated Jaccard, so a false candidate costs one
    // comparison while a missed one is a duplicate kept: the bands lean towards recall (30 x 8 at
    // the reference's settings, where its unverified clustering needs datasketch's balanced 25 x 10).
    const bands = optimalBands(opts.threshold, opts.numPerm, 0.8);
    const lsh = () => new LshIndex(opts.threshold, opts.numPerm, bands);
    this.near = { instruction: lsh(), response: lsh(), code: lsh() };
    this.rules = DUPLICATE_RULES.filter((r) => !opts.skip.has(r));
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): CurationState | undefined {
    return this.entries.get(id);
  }

  values(): IterableIterator<CurationState> {
    return this.entries.values();
  }

  /** Loads a state record from the changelog (the newest per instruction, in any order). */
  restore(state: CurationState): void {
    const prev = this.entries.get(state.instruction_id);
    if (prev) this.unindex(prev);
    const s = { ...state };
    this.entries.set(s.instruction_id, s);
    if (this.indexable(s)) this.index(s);
    if (s.features) s.features = { ...s.features, signatures: NO_SIGNATURES };
  }

  /** The state as the changelog holds it: with its signatures. */
  record(s: CurationState): CurationState {
    if (!s.features) return s;
    const sig = (pass: (typeof NEAR_PASSES)[number]) => {
      const x = this.near[pass].signatureOf(s.instruction_id);
      return x && this.indexed(s) ? encodeSignature(x) : null;
    };
    return { ...s, features: { ...s.features, signatures: { instruction: sig("instruction"), response: sig("response"), code: sig("code") } } };
  }

  /**
   * A selected pair (with its features), or the selector's retraction of the instruction's pair
   * (`pair` null). Returns what to write: the state of every pair whose decision changed, and the
   * dataset rows and retractions that follow.
   */
  apply(id: string, pair: DatasetSample | null, features: Features | null): Change[] {
    const old = this.entries.get(id);
    if (old && this.isRedelivery(old, pair)) {
      // Decided already (a redelivery, or a replay under the same settings): repeat, change nothing.
      return [{ kind: "state", state: this.record(old), repeated: true }, ...(old.emitted && old.pair ? [{ kind: "dataset" as const, row: old.pair }] : [])];
    }
    const out: Change[] = [];
    const touched = new Map<string, CurationState>();
    const wasDropped = new Set<string>();
    const queue = new IdQueue();
    if (old) {
      if (old.status === "dropped") wasDropped.add(id);
      if (old.emitted && old.pair) out.push({ kind: "dataset", row: { ...old.pair, retracted: true } });
      if (this.indexed(old)) {
        // Found through the index, so before leaving it.
        if (old.status === "kept") for (const n of this.neighbours(old)) if (n > id) queue.push(n);
        this.unindex(old);
      }
    }
    const fresh: CurationState = {
      instruction_id: id,
      pair,
      config: this.opts.config,
      features,
      status: pair ? "kept" : "retracted",
      rule: null,
      duplicate_of: null,
      emitted: false,
    };
    this.entries.set(id, fresh);
    if (this.indexable(fresh)) this.index(fresh, features!.signatures);
    if (fresh.features) fresh.features = { ...fresh.features, signatures: NO_SIGNATURES };
    this.decide(fresh);
    touched.set(id, fresh);
    if (fresh.status === "kept") for (const n of this.neighbours(fresh)) if (n > id) queue.push(n);

    for (let y = queue.pop(); y !== undefined; y = queue.pop()) {
      const e = this.entries.get(y);
      if (!e || !this.indexed(e)) continue;
      const before = { status: e.status, rule: e.rule, duplicate_of: e.duplicate_of };
      if (before.status === "dropped") wasDropped.add(y);
      this.decide(e);
      if (e.status === before.status && e.rule === before.rule && e.duplicate_of === before.duplicate_of) continue;
      touched.set(y, e);
      if ((before.status === "kept") !== (e.status === "kept")) for (const n of this.neighbours(e)) if (n > y) queue.push(n);
    }

    for (const e of touched.values()) {
      const want = e.status === "kept";
      if (want && !e.emitted && e.pair) out.push({ kind: "dataset", row: e.pair });
      if (!want && e.emitted && e.pair) out.push({ kind: "dataset", row: { ...e.pair, retracted: true } });
      e.emitted = want;
      out.push({
        kind: "state",
        state: this.record(e),
        ...(e.status === "dropped" && !wasDropped.has(e.instruction_id) ? { newlyDropped: true as const } : {}),
      });
    }
    return out;
  }

  private isRedelivery(old: CurationState, pair: DatasetSample | null): boolean {
    if (!pair) return old.status === "retracted";
    return old.pair?.id === pair.id && old.config === this.opts.config && old.features !== null;
  }

  /** In the index: a current pair that fails no standalone check (only those can be kept, or become so). */
  private indexable(s: CurationState): boolean {
    return s.pair !== null && s.features !== null && s.features.failed === null && s.config === this.opts.config;
  }

  private indexed(s: CurationState): boolean {
    return this.indexable(s) && this.entries.get(s.instruction_id) === s;
  }

  private index(s: CurationState, signatures = s.features!.signatures): void {
    const f = s.features!;
    const id = s.instruction_id;
    add(this.exact.instruction, f.instruction_key, id);
    add(this.exact.response, f.response_key, id);
    for (const k of f.names) add(this.exact.names, k, id);
    for (const pass of NEAR_PASSES) {
      const sig = signatures[pass];
      if (sig) this.near[pass].add(id, decodeSignature(sig));
    }
  }

  private unindex(s: CurationState): void {
    const f = s.features;
    if (!f) return;
    const id = s.instruction_id;
    del(this.exact.instruction, f.instruction_key, id);
    del(this.exact.response, f.response_key, id);
    for (const k of f.names) del(this.exact.names, k, id);
    for (const pass of NEAR_PASSES) this.near[pass].remove(id);
  }

  /** The pairs that duplicate `s` under `rule` (itself excluded), kept or not. */
  private duplicates(s: CurationState, rule: DuplicateRule): string[] {
    const f = s.features!;
    const id = s.instruction_id;
    let ids: Iterable<string>;
    switch (rule) {
      case "exact_instruction":
        ids = this.exact.instruction.get(f.instruction_key) ?? [];
        break;
      case "exact_response":
        ids = this.exact.response.get(f.response_key) ?? [];
        break;
      case "same_names":
        ids = f.names.flatMap((k) => [...(this.exact.names.get(k) ?? [])]);
        break;
      default: {
        const pass = NEAR_PASSES.find((p) => NEAR_RULE[p] === rule)!;
        const sig = this.near[pass].signatureOf(id);
        ids = sig ? this.near[pass].matches(sig).map((m) => m.id) : [];
      }
    }
    return [...ids].filter((x) => x !== id);
  }

  /** Every indexed pair that duplicates `s` (which must be indexed) under an enabled rule. */
  private neighbours(s: CurationState): Set<string> {
    const out = new Set<string>();
    for (const r of this.rules) for (const n of this.duplicates(s, r)) out.add(n);
    return out;
  }

  private decide(s: CurationState): void {
    if (!s.pair || !s.features) {
      Object.assign(s, { status: "retracted", rule: null, duplicate_of: null });
      return;
    }
    if (s.features.failed) {
      Object.assign(s, { status: "dropped", rule: s.features.failed, duplicate_of: null });
      return;
    }
    for (const rule of this.rules) {
      let blocker: string | undefined;
      for (const n of this.duplicates(s, rule)) {
        if (n < s.instruction_id && this.entries.get(n)?.status === "kept" && (blocker === undefined || n < blocker)) blocker = n;
      }
      if (blocker !== undefined) {
        Object.assign(s, { status: "dropped", rule, duplicate_of: blocker });
        return;
      }
    }
    Object.assign(s, { status: "kept", rule: null, duplicate_of: null });
  }
}

function add(m: Map<string, Set<string>>, k: string, id: string): void {
  const s = m.get(k);
  if (s) s.add(id);
  else m.set(k, new Set([id]));
}

function del(m: Map<string, Set<string>>, k: string, id: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) m.delete(k);
}

/** Instruction ids waiting to be decided again, smallest first, each once. */
class IdQueue {
  private readonly ids = new Set<string>();
  push(id: string): void {
    this.ids.add(id);
  }
  pop(): string | undefined {
    let min: string | undefined;
    for (const id of this.ids) if (min === undefined || id < min) min = id;
    if (min !== undefined) this.ids.delete(min);
    return min;
  }
}
