import type { TopicSpec } from "../../schemas/topics.ts";
import type { TopicConfig } from "../runtime/transport.ts";

/** What a cluster has for one catalogue topic (undefined fields: the topic does not exist). */
export interface TopicState {
  partitions?: number;
  retentionMs?: number;
  compacted?: boolean;
  records?: number;
}

export function topicConfigOf(spec: TopicSpec): TopicConfig {
  return { name: spec.name, partitions: spec.partitions, retentionMs: spec.retentionMs, compacted: spec.compacted };
}

export function formatRetention(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return "?";
  if (ms < 0) return "forever";
  const days = ms / 86_400_000;
  return Number.isInteger(days) ? `${days}d` : `${ms}ms`;
}

/** How the cluster's topic differs from the catalogue; empty when it matches. */
export function differences(spec: TopicSpec, have: TopicState | undefined): string[] {
  if (!have || have.partitions === undefined) return ["missing"];
  const out: string[] = [];
  // more partitions than the catalogue is a deliberate scale-out, fewer is not
  if (have.partitions < spec.partitions) out.push(`partitions ${have.partitions} < ${spec.partitions}`);
  if (have.retentionMs !== undefined && have.retentionMs !== spec.retentionMs)
    out.push(`retention ${formatRetention(have.retentionMs)} (want ${formatRetention(spec.retentionMs)})`);
  if (have.compacted !== undefined && have.compacted !== spec.compacted) out.push(spec.compacted ? "not compacted" : "compacted");
  return out;
}

/** A plain text table, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
