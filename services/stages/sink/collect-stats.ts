import type { CurationState, SelectorState } from "../../../schemas/records.ts";
import { allTopicSpecs } from "../../../schemas/topics.ts";
import { readTopic } from "../../runtime/read-topic.ts";
import type { Codec } from "../../runtime/codec.ts";
import type { Transport } from "../../runtime/transport.ts";
import { type DatasetStats, statsFrom } from "./stats.ts";

/** Records per catalogue topic (absent topics count 0). */
export async function topicSizes(transport: Transport): Promise<Record<string, number>> {
  const admin = transport.admin();
  const existing = new Set(await admin.listTopics());
  const sizes: Record<string, number> = {};
  for (const { name } of allTopicSpecs()) {
    sizes[name] = existing.has(name) ? (await admin.describeTopic(name)).reduce((a, p) => a + Number(BigInt(p.high) - BigInt(p.low)), 0) : 0;
  }
  return sizes;
}

/** The newest record of every key of a changelog topic (absent topic: none). */
async function latestStates<T>(transport: Transport, codec: Codec, topic: string): Promise<T[]> {
  if (!(await transport.admin().listTopics()).includes(topic)) return [];
  const latest = new Map<string, Buffer>();
  await readTopic(transport, topic, (r) => {
    if (r.key) latest.set(r.key, r.value);
  });
  const out: T[] = [];
  for (const bytes of latest.values()) out.push((await codec.decode(topic, bytes)) as T);
  return out;
}

/** The newest selector state of every instruction. */
export function selectorStates(transport: Transport, codec: Codec): Promise<SelectorState[]> {
  return latestStates(transport, codec, "selector.state");
}

export async function collectStats(transport: Transport, codec: Codec): Promise<DatasetStats> {
  return statsFrom(await selectorStates(transport, codec), await topicSizes(transport), await latestStates<CurationState>(transport, codec, "curation.state"));
}
