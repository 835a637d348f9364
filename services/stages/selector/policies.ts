import { createHash } from "node:crypto";
import type { Verdict } from "../../../schemas/records.ts";

/**
 * A selection policy picks one response per instruction. It is expressed as an eligibility test and
 * a score (lowest wins, ties broken by response id) so the choice can be made incrementally, one
 * verdict at a time, holding a single candidate, and does not depend on the order verdicts arrive
 * in: a replay or a restart chooses the same response.
 */
export interface SelectionPolicy {
  name: string;
  description: string;
  eligible(v: Verdict): boolean;
  score(v: Verdict): number;
}

/**
 * A fixed seed, mixed with the instruction so each gets its own draw. 3407 is the seed of the
 * reference's generation scripts; its selection (sanitize_data.py) shuffles the whole dataset with
 * seed 6666 before keeping the first of each duplicate group. Here the choice is per instruction
 * and order-independent, so no shuffle, and no seed of the reference, is reproduced.
 */
export const SELECTION_SEED = 3407;

function seededUniform(instructionId: string, responseId: string): number {
  const h = createHash("sha256").update(`${SELECTION_SEED}\0${instructionId}\0${responseId}`).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

const passes = (v: Verdict) => v.status === "pass";

const POLICIES: Record<string, SelectionPolicy> = {
  "pass-random": {
    name: "pass-random",
    description: "one passing response chosen uniformly at random, seeded by the instruction id (the paper's default)",
    eligible: passes,
    score: (v) => seededUniform(v.instruction_id, v.response_id),
  },
  "pass-first": {
    name: "pass-first",
    description: "the passing response with the lowest sample index",
    eligible: passes,
    score: (v) => v.sample_index,
  },
  "pass-shortest": {
    name: "pass-shortest",
    description: "the shortest passing response (seeded random among equals)",
    eligible: passes,
    score: (v) => v.response.response.length + seededUniform(v.instruction_id, v.response_id),
  },
};

export function policyNames(): string[] {
  return Object.keys(POLICIES);
}

export function getPolicy(name: string): SelectionPolicy {
  const p = POLICIES[name];
  if (!p) throw new Error(`unknown selection policy "${name}"; have: ${policyNames().join(", ")}`);
  return p;
}
