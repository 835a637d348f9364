/** How many items survive each step of ingestion: files → parsed → functions (module-level unless methods are asked for) → with docstring → each filter → seeds. */
export interface FilterCount {
  name: string;
  description: string;
  in: number;
  dropped: number;
  /** a few reasons, to see what a filter catches */
  examples: string[];
}

export interface FunnelRow {
  step: string;
  count: number;
  /** of the row before; null for the first */
  pct_of_previous: number | null;
}

const EXAMPLES = 3;

export class Funnel {
  files = 0;
  parsed = 0;
  functions = 0;
  withDocstring = 0;
  /** emitted: the last filter's survivors, up to the limit */
  seeds = 0;
  /** files that could not be read or parsed, by reason */
  readonly unparsed = new Map<string, number>();
  readonly filters: FilterCount[];

  constructor(filters: ReadonlyArray<{ name: string; description: string }>) {
    this.filters = filters.map((f) => ({ name: f.name, description: f.description, in: 0, dropped: 0, examples: [] }));
  }

  filter(name: string): FilterCount {
    const f = this.filters.find((x) => x.name === name);
    if (!f) throw new Error(`no filter named "${name}" in the funnel`);
    return f;
  }

  drop(name: string, where: string, reason: string): void {
    const f = this.filter(name);
    f.dropped++;
    if (f.examples.length < EXAMPLES) f.examples.push(`${where}: ${reason}`);
  }

  unparsable(reason: string): void {
    this.unparsed.set(reason, (this.unparsed.get(reason) ?? 0) + 1);
  }

  rows(): FunnelRow[] {
    const counts: Array<[string, number]> = [
      ["files", this.files],
      ["parsed", this.parsed],
      ["functions", this.functions],
      ["with docstring", this.withDocstring],
      ...this.filters.map((f): [string, number] => [f.name, f.in - f.dropped]),
      ["seeds", this.seeds],
    ];
    return counts.map(([step, count], i) => {
      // files → functions changes the unit: a percentage across it means nothing
      const prev = i === 0 || step === "functions" ? null : counts[i - 1][1];
      return { step, count, pct_of_previous: prev === null ? null : prev === 0 ? 0 : Math.round((1000 * count) / prev) / 10 };
    });
  }

  table(): string {
    const rows = this.rows();
    const base = this.withDocstring;
    const lines = rows.map((r) => {
      const prev = r.pct_of_previous === null ? "" : `${r.pct_of_previous.toFixed(1)}%`;
      const ofDoc = this.isFunctionRow(r.step) && base > 0 ? `${((100 * r.count) / base).toFixed(1)}%` : "";
      return [r.step.padEnd(24), String(r.count).padStart(9), prev.padStart(10), ofDoc.padStart(12)].join(" ");
    });
    const head = ["step".padEnd(24), "count".padStart(9), "% of prev".padStart(10), "% of docfns".padStart(12)].join(" ");
    return [head, "-".repeat(head.length), ...lines].join("\n");
  }

  toJSON(): unknown {
    return {
      rows: this.rows(),
      filters: this.filters,
      unparsed: Object.fromEntries(this.unparsed),
    };
  }

  private isFunctionRow(step: string): boolean {
    return step !== "files" && step !== "parsed" && step !== "functions";
  }
}
