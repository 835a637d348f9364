/** Which metrics a PromQL expression reads: enough of PromQL's lexical structure for that. */

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);

export function metricsIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // label values, format strings
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // range and subquery windows
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " "); // label lists
  const out = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith("(")) continue; // a function or aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    const before = stripped.slice(0, m.index!);
    if (/[0-9.]$/.test(before) || /\$$/.test(before)) continue; // 1e3, 5m, $__rate_interval
    out.add(m[0]);
  }
  return [...out];
}

/** The metric a sample name belongs to: a histogram's _bucket/_sum/_count series are its own. */
export function familyOf(name: string, families: Set<string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"])
    if (name.endsWith(suffix) && families.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
  return name;
}

/** Grafana's variables, replaced as Grafana would for "All" and a short range. */
export function grafanaToPromql(expr: string, rateInterval = "1m"): string {
  return expr.replaceAll("$__rate_interval", rateInterval).replaceAll('=~"$stage"', '=~".*"');
}
