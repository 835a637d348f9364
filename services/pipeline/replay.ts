import { z } from "zod";
import { isStageName, PIPELINE_STAGES, STAGES } from "../../schemas/stages.ts";
import { TOPICS } from "../../schemas/topics.ts";
import type { Admin, OffsetCommit } from "../runtime/transport.ts";

/** Where a replay starts: the first record, one offset on every partition, or the first record at/after a time. */
export type ReplayFrom = { kind: "beginning" } | { kind: "offset"; offset: bigint } | { kind: "time"; ts: number };

export const ReplayFromSpec = z.string().transform((s, ctx): ReplayFrom => {
  if (s === "beginning") return { kind: "beginning" };
  if (/^\d+$/.test(s)) return { kind: "offset", offset: BigInt(s) };
  const ts = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (!Number.isNaN(ts)) return { kind: "time", ts };
  ctx.addIssue({
    code: "custom",
    message: `--from must be "beginning", an offset (e.g. 120) or an ISO time (e.g. 2026-01-31T12:00:00Z); got ${JSON.stringify(s)}`,
  });
  return z.NEVER;
});

/** The topic a stage consumes, from the stage graph. */
export function inputOf(stage: string): string {
  if (!isStageName(stage)) throw new Error(`no stage "${stage}" consumes a catalogue topic; stages: ${PIPELINE_STAGES.join(", ")}`);
  return STAGES[stage].input;
}

/** The topic a stage feeds the next stage through (its changelog and DLQ aside); none for the sink. */
export function outputOf(stage: string): string | undefined {
  if (!isStageName(stage)) return undefined;
  return (STAGES[stage].outputs as readonly string[]).find((t) => t in TOPICS && TOPICS[t as keyof typeof TOPICS].consumedBy.length > 0);
}

/** The stages from `stage` through `toStage` (default: the last) in stream order. */
export function replayedStages(stage: string, toStage?: string): string[] {
  const from = PIPELINE_STAGES.indexOf(stage);
  if (from < 0) throw new Error(`cannot replay "${stage}": stages are ${PIPELINE_STAGES.join(", ")}`);
  const to = toStage === undefined ? PIPELINE_STAGES.length - 1 : PIPELINE_STAGES.indexOf(toStage);
  if (to < 0) throw new Error(`--to-stage "${toStage}" is not a stage: ${PIPELINE_STAGES.join(", ")}`);
  if (to < from) throw new Error(`--to-stage ${toStage} comes before ${stage} in the pipeline`);
  return PIPELINE_STAGES.slice(from, to + 1);
}

/** The offsets a stage's group restarts from, per partition of its input, clamped to what the log holds. */
export async function replayOffsets(admin: Admin, topic: string, from: ReplayFrom): Promise<OffsetCommit[]> {
  const parts = await admin.describeTopic(topic);
  if (from.kind === "time") return admin.offsetsForTime(topic, from.ts);
  return parts.map((p) => {
    const low = BigInt(p.low);
    const high = BigInt(p.high);
    const want = from.kind === "beginning" ? low : from.offset;
    const offset = want < low ? low : want > high ? high : want;
    return { topic, partition: p.partition, offset: offset.toString() };
  });
}
