import { dlqTopicName } from "../../schemas/topics.ts";
import type { Admin } from "../runtime/transport.ts";

/** One stage as its consumer group sees it. */
export interface StageProgress {
  stage: string;
  input: string;
  /** records in the input topic */
  total: number;
  /** records the stage's group committed (its "in") */
  done: number;
  lag: number;
  /** records in the input's DLQ */
  dlq: number;
}

async function sizeOf(admin: Admin, topic: string, existing: Set<string>): Promise<number> {
  if (!existing.has(topic)) return 0;
  return (await admin.describeTopic(topic)).reduce((a, p) => a + Number(BigInt(p.high) - BigInt(p.low)), 0);
}

/** Reads every stage's committed position against its input; a group that never committed counts 0. */
export async function stageProgress(admin: Admin, stages: Array<{ stage: string; input: string; groupId?: string }>): Promise<StageProgress[]> {
  const existing = new Set(await admin.listTopics());
  const out: StageProgress[] = [];
  for (const s of stages) {
    const parts = existing.has(s.input) ? await admin.describeTopic(s.input) : [];
    const committed = existing.has(s.input) ? await admin.groupOffsets(s.groupId ?? s.stage, s.input) : [];
    let total = 0;
    let done = 0;
    for (const p of parts) {
      const low = BigInt(p.low);
      const high = BigInt(p.high);
      const c = committed.find((o) => o.partition === p.partition);
      total += Number(high - low);
      done += c ? Number(BigInt(c.offset) - low) : 0;
    }
    out.push({ stage: s.stage, input: s.input, total, done, lag: total - done, dlq: await sizeOf(admin, dlqTopicName(s.input), existing) });
  }
  return out;
}
