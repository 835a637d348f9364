import type { StageDef } from "../../../services/runtime/stage.ts";
import { itemSchemas } from "./items.ts";

/**
 * A no-op stage for the runtime bench: `<NOOP_PREFIX>.<i>` → `<NOOP_PREFIX>.<i+1>` for stage `s<i>`,
 * forwarding each record unchanged: what is measured is the runtime alone.
 */
export async function createStage(env: NodeJS.ProcessEnv): Promise<StageDef> {
  const prefix = env.NOOP_PREFIX;
  const m = /^s(\d)$/.exec(env.SCA_STAGE ?? "");
  if (!prefix || !m) throw new Error(`noop stage needs NOOP_PREFIX and a stage name s<digit> (got ${env.NOOP_PREFIX}, ${env.SCA_STAGE})`);
  const i = Number(m[1]);
  const input = `${prefix}.${i}`;
  const output = `${prefix}.${i + 1}`;
  return { name: `${prefix}-s${i}`, input, outputs: [output], process: async (x) => [{ topic: output, key: (x as { id: string }).id, value: x }] };
}

export const schemaFor = itemSchemas;
