import { type DatasetStats, describeCuration } from "../stages/sink/stats.ts";
import { outputOf } from "./replay.ts";
import type { StageProgress } from "./stage-progress.ts";

/** The end-of-run table: what each stage took in, put out and gave up on, then the dataset's yield. */
export function funnelTable(progress: StageProgress[], stats: DatasetStats, rows: number): string {
  const cells = [["stage", "in", "out", "DLQ", "lag"]];
  for (const p of progress) {
    const outTopic = outputOf(p.stage);
    cells.push([p.stage, String(p.done), outTopic ? String(stats.topics[outTopic] ?? 0) : `${rows} rows`, String(p.dlq), String(p.lag)]);
  }
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const o = stats.outcomes;
  const judged = Object.values(stats.verdicts).reduce((a, b) => a + (b ?? 0), 0);
  return [
    line(cells[0]),
    ...cells.slice(1).map(line),
    "",
    `instructions decided: ${stats.decided} (selected ${o.selected}, no passing sample ${o.no_pass}, contaminated ${o.contaminated}); still open: ${stats.open}`,
    `samples passing: ${stats.verdicts.pass ?? 0} of ${judged}; dataset rows exported: ${rows}`,
    describeCuration(stats.curation),
  ].join("\n");
}
