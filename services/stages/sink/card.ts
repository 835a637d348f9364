import type { ExportRow } from "./export-row.ts";
import { CURATION_RULES } from "../../../schemas/records.ts";
import type { DatasetStats, Tally } from "./stats.ts";

/** What each curation rule checks, for the card. */
const RULE_TEXT: Record<(typeof CURATION_RULES)[number], string> = {
  bad_separator: "the completion does not separate response and tests by exactly `</response>\\n\\n<tests>`",
  placeholder: "the completion holds a placeholder (todo, fixme, your code here, notimplemented, ...)",
  no_python_block: "no code block tagged `python` in the response or in the tests",
  no_assert: "tests without `assert`, or whose top-level lines are all def/class/import",
  unparsable: "the response's code does not parse as Python",
  too_long: "instruction over the word limit (200)",
  too_short: "instruction, response or code under the MinHash minimum length (5 tokens)",
  exact_instruction: "same instruction as a kept pair, whitespace removed",
  exact_response: "same response as a kept pair, whitespace removed",
  same_names: "defines the same set of function (or class) names as a kept pair",
  near_instruction: "MinHash near-duplicate (Jaccard >= 0.7) of a kept pair's instruction",
  near_response: "MinHash near-duplicate of a kept pair's response",
  near_code: "MinHash near-duplicate of a kept pair's code (module-level defs, docstrings and comments removed)",
};

function curationTable(s: DatasetStats): string {
  const c = s.curation;
  return [
    `Curation (the reference's \`sanitize_data.py\` and the three MinHash passes of \`sanitize.sh\`) kept **${c.kept} of ${c.selected}** selected pairs. Among duplicates the pair with the smallest instruction id is kept.`,
    "",
    "| rule | pairs dropped | what it checks |",
    "|---|---:|---|",
    ...CURATION_RULES.map((r) => `| ${r} | ${c.dropped[r] ?? 0} | ${RULE_TEXT[r]} |`),
  ].join("\n");
}

export interface CardInput {
  rows: ExportRow[];
  stats?: DatasetStats;
  /** The settings of the run that produced the rows (flags, environment), shown verbatim. */
  config: Record<string, unknown>;
  generatedAt: Date;
}

/** Below this many rows the card says plainly that the export is a demonstration, not training data. */
export const FEW_ROWS = 1000;

const pct = (num: number, den: number) => (den === 0 ? "n/a" : `${((100 * num) / den).toFixed(1)}%`);
const distinct = (rows: ExportRow[], k: keyof ExportRow) => [...new Set(rows.map((r) => String(r[k])))].sort();

function tallyTable(title: string, m: Record<string, Tally>, rows: ExportRow[], key: "difficulty" | "category"): string {
  const keys = Object.keys(m).sort();
  if (keys.length === 0) return "";
  const lines = [
    `| ${title} | instructions | with a passing sample | samples judged | samples passed | sample pass rate | rows exported |`,
    "|---|---:|---:|---:|---:|---:|---:|",
    ...keys.map((k) => {
      const t = m[k];
      return `| ${k} | ${t.instructions} | ${t.withPass} (${pct(t.withPass, t.instructions)}) | ${t.samples} | ${t.passed} | ${pct(t.passed, t.samples)} | ${rows.filter((r) => r[key] === k).length} |`;
    }),
  ];
  return lines.join("\n");
}

function funnel(s: DatasetStats, rows: number): string {
  const t = s.topics;
  const v = s.verdicts;
  const judged = Object.values(v).reduce((a, b) => a + (b ?? 0), 0);
  const lines = [
    "| stage | records | note |",
    "|---|---:|---|",
    `| seeds | ${t.seeds ?? 0} | seed functions mined from the corpus |`,
    `| concepts | ${t.concepts ?? 0} | ${t["seeds.dlq"] ?? 0} records in the seeds DLQ |`,
    `| instructions | ${t.instructions ?? 0} | ${t["concepts.dlq"] ?? 0} records in the concepts DLQ |`,
    `| responses | ${t.responses ?? 0} | ${t["instructions.dlq"] ?? 0} records in the instructions DLQ (unparsable samples, failed instructions) |`,
    `| verdicts | ${t.verdicts ?? 0} | latest per sample: ${judged} judged, ${["pass", "fail", "timeout", "memory", "crash", "sandbox_error"].map((k) => `${k} ${v[k as keyof typeof v] ?? 0}`).join(", ")}; ${t["responses.dlq"] ?? 0} records in the responses DLQ |`,
    `| instructions decided | ${s.decided} | ${s.outcomes.selected} selected, ${s.outcomes.no_pass} without a passing sample, ${s.outcomes.contaminated} only contaminated passes; ${s.open} still waiting for samples |`,
    `| selected | ${t.selected ?? 0} | selector outputs (retractions and re-selections included) |`,
    `| curated | ${s.curation.kept} | of ${s.curation.selected} selected pairs; dropped by rule below |`,
    `| dataset | ${t.dataset ?? 0} | curation outputs (retractions included) |`,
    `| exported rows | ${rows} | |`,
  ];
  return lines.join("\n");
}

/** Seeds behind the rows, and, with the funnel at hand, how many were mined: both, so 0 rows from 2 seeds reads right. */
function seedsLine(rows: ExportRow[], stats?: DatasetStats): string {
  const used = distinct(rows, "seed_id").length;
  const mined = stats?.topics.seeds;
  return mined === undefined ? `${used} seed functions` : `${used} of the ${mined} seed function${mined === 1 ? "" : "s"} the run took`;
}

function passRates(stats: DatasetStats, rows: ExportRow[]): string {
  const tables = [tallyTable("difficulty", stats.byDifficulty, rows, "difficulty"), tallyTable("category", stats.byCategory, rows, "category")].filter(Boolean);
  if (tables.length > 0) return tables.join("\n\n");
  return "No sample was judged in the sandbox, so there is no pass rate: every record stopped earlier (the funnel above says where; the run's summary and `sca status` name the DLQ reasons).";
}

/** `datasets` refuses to build a split with no examples, whatever the files hold. */
const EMPTY_LOAD = `
With no row, \`datasets.load_dataset\` fails with "Instruction \"train\" corresponds to no data" (it does
not build empty splits). The schema is intact in \`train.parquet\`: \`datasets.Dataset(pyarrow.parquet.read_table("train.parquet"))\`
gives the empty dataset with every column.
`;

/**
 * README.md of an export: a Hugging Face dataset card (YAML header naming the data files) with
 * the counts, the funnel, pass rates by difficulty and category, and the configuration.
 */
export function renderCard(input: CardInput): string {
  const { rows, stats, config } = input;
  const n = rows.length;
  const few =
    n < FEW_ROWS
      ? `\n> **Only ${n} row${n === 1 ? "" : "s"}.** This is far too few to fine-tune on: it documents a small run (a short corpus, a \`--limit\`, or a small local model that rarely writes a response whose own tests pass), not a training set. SelfCodeAlign's released sets hold about 50k–74k pairs.\n`
      : "";
  // With no row yet, the configured model is still worth naming.
  const configured = (config.llm as { model?: unknown } | undefined)?.model;
  const models = rows.length > 0 ? distinct(rows, "model") : typeof configured === "string" ? [configured] : [];
  const cfg = {
    models,
    prompt_hashes: distinct(rows, "prompt_hash"),
    selection_policies: distinct(rows, "selection_policy"),
    sandbox_images: distinct(rows, "sandbox_image"),
    run_ids: distinct(rows, "run_id"),
    ...config,
  };
  return `---
license: other
language:
- en
- code
tags:
- code
- synthetic
- selfcodealign
pretty_name: SelfCodeAlign-style self-generated instruction data
configs:
- config_name: default
  data_files:
  - split: train
    path: train.parquet
---

# SelfCodeAlign dataset export

Instruction–response pairs generated from seed functions by a base model and kept only when the
response passed its own tests in a sandbox (SelfCodeAlign, Wei et al., NeurIPS 2024), produced by
selfcodealign-stream. Generated ${input.generatedAt.toISOString()}.

**${n} row${n === 1 ? "" : "s"}** from ${seedsLine(rows, stats)}; model${models.length === 1 ? "" : "s"}: ${models.join(", ") || "none yet"}.
${few}${n === 0 ? EMPTY_LOAD : ""}
## Files

- \`train.parquet\`: every row, one file (what the YAML header points \`datasets\` at).
- \`train.jsonl\`: the same rows, one JSON object per line, appended as rows arrive.
- \`data/train-NNNNN.parquet\`: the same rows in the shards written by successive exports.

Columns: \`instruction\`, \`response\` (the training pair), \`tests\` (the response's own tests,
which passed), \`seed\`/\`seed_id\`/\`seed_path\`/\`seed_repo\`/\`seed_license\` (where the task came
from), \`concepts\`, \`category\`, \`difficulty\`, \`model\`, \`prompt_hash\`, \`selection_policy\`,
\`n_samples\`/\`n_passed\` (how many of the instruction's sampled responses passed), ids and times.

## Funnel

${stats ? funnel(stats, n) : "(the pipeline's topics were not available to this export)"}

## Curation

${stats ? curationTable(stats) : "(not available)"}

## Pass rates

${stats ? passRates(stats, rows) : "(not available: the pipeline's topics were not available to this export)"}

## Configuration

\`\`\`json
${JSON.stringify(cfg, null, 2)}
\`\`\`

## Licence

Seed code keeps its own licence (\`seed_license\` per row). Generated text is subject to the terms of
the model that generated it (e.g. the Gemma terms for Gemma models). Check both before you train on or
redistribute this data.
`;
}
