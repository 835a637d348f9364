import { setTimeout as sleep } from "node:timers/promises";
import type { StageDef } from "../../../services/runtime/stage.ts";
import { type Item, itemSchemas } from "./items.ts";

/**
 * The exactly-once pipeline's three stages (a: in→ab, b: ab→bc, c: bc→out), as a stage module for
 * `sca service <name> --stage-module`. Each appends its name to the record's hops after a random
 * short wait (so work completes out of order) and fails the first try of every 97th record (so
 * retries happen while processes are being killed). Topics are `<EOS_PREFIX>.<name>`.
 */
export const EOS_STAGES = ["eos-a", "eos-b", "eos-c"] as const;

export function eosTopics(prefix: string) {
  return { in: `${prefix}.in`, ab: `${prefix}.ab`, bc: `${prefix}.bc`, out: `${prefix}.out` };
}

export function eosStage(name: string, prefix: string): StageDef<Item> {
  const t = eosTopics(prefix);
  const wiring: Record<string, [string, string]> = { "eos-a": [t.in, t.ab], "eos-b": [t.ab, t.bc], "eos-c": [t.bc, t.out] };
  const io = wiring[name];
  if (!io) throw new Error(`unknown eos stage "${name}" (have ${EOS_STAGES.join(", ")})`);
  const [input, output] = io;
  return {
    name,
    input,
    outputs: [output],
    process: async (x, ctx) => {
      await sleep(Math.random() * 4);
      if (x.seq % 97 === 0 && ctx.attempt === 1) throw new Error(`transient failure of ${x.id} in ${name}`);
      return [{ topic: output, key: x.id, value: { ...x, hops: [...x.hops, name] } }];
    },
  };
}

export async function createStage(env: NodeJS.ProcessEnv): Promise<StageDef> {
  if (!env.EOS_PREFIX) throw new Error("EOS_PREFIX is not set");
  return eosStage(env.SCA_STAGE ?? "", env.EOS_PREFIX) as StageDef;
}

export const schemaFor = itemSchemas;
