import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { StageProgress } from "./stage-progress.ts";

/** Slow stages (an LLM on a CPU) go per minute rather than showing 0.0/s. */
export function formatRate(perSecond: number): string {
  return perSecond >= 1 || perSecond === 0 ? `${perSecond.toFixed(1)}/s` : `${(perSecond * 60).toFixed(1)}/min`;
}

/** Time left at the current rate; "-" while a stage has no rate yet or nothing left (never "NaN" or "Infinity"). */
export function formatEta(left: number, perSecond: number): string {
  if (!(perSecond > 0) || !(left > 0) || !Number.isFinite(left / perSecond)) return "-";
  const s = Math.ceil(left / perSecond);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`;
}

export interface ProgressView {
  update(rows: StageProgress[]): void;
  /** A line about the run as a whole ("waiting for the LLM server at URL (down 1m20s)"). */
  notice?(line: string): void;
  stop(): void;
}

/** One bar per stage with rate and ETA on a terminal. */
export function barsView(stream: NodeJS.WriteStream): ProgressView {
  const multi = new MultiBar(
    {
      stream,
      // Our own ETA: cli-progress's prints "NFs"/"NaNs" until a stage has a rate.
      format: " {stage} {bar} {value}/{total} | {rate} | ETA {eta} | DLQ {dlq}",
      hideCursor: true,
      clearOnComplete: false,
      fps: 2,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, { bar: SingleBar; first: { t: number; done: number } }>();
  return {
    update(rows) {
      const now = Date.now();
      for (const r of rows) {
        let b = bars.get(r.stage);
        if (!b)
          bars.set(
            r.stage,
            (b = {
              bar: multi.create(Math.max(r.total, 1), r.done, { stage: r.stage.padEnd(12), rate: formatRate(0), eta: "-", dlq: 0 }),
              first: { t: now, done: r.done },
            }),
          );
        const secs = (now - b.first.t) / 1000;
        const rate = secs > 0 ? (r.done - b.first.done) / secs : 0;
        b.bar.setTotal(Math.max(r.total, 1));
        b.bar.update(r.done, { rate: formatRate(rate), eta: formatEta(r.lag, rate), dlq: r.dlq });
      }
    },
    notice(line) {
      multi.log(`${line}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}

/** Plain lines every `everyMs` when stderr is not a terminal (CI logs, pipes). */
export function linesView(write: (line: string) => void, everyMs = 10_000): ProgressView {
  let last = 0;
  const first = new Map<string, { t: number; done: number }>();
  return {
    update(rows) {
      const now = Date.now();
      for (const r of rows) if (!first.has(r.stage)) first.set(r.stage, { t: now, done: r.done });
      if (now - last < everyMs) return;
      last = now;
      const parts = rows.map((r) => {
        const f = first.get(r.stage)!;
        const rate = now > f.t ? ((r.done - f.done) * 1000) / (now - f.t) : 0;
        return `${r.stage} ${r.done}/${r.total} (${formatRate(rate)}, eta ${formatEta(r.lag, rate)}${r.dlq ? `, dlq ${r.dlq}` : ""})`;
      });
      write(`[progress] ${parts.join(" | ")}`);
    },
    notice: write,
    stop() {},
  };
}
