import type { Parser } from "web-tree-sitter";
import type { Decontaminator } from "../decontam/matcher.ts";
import type { Completer } from "../llm/stage-kit.ts";
import type { Candidate } from "./candidate.ts";
import { FilterChain } from "./chain.ts";
import type { Corpus } from "./corpus.ts";
import type { DedupState } from "./dedup-state.ts";
import { extractFunctions } from "./extract.ts";
import { badImports } from "./filters/bad-imports.ts";
import { badWords } from "./filters/bad-words.ts";
import { decontaminationFilter } from "./filters/decontamination.ts";
import { exactDedupFilter, nearDedupFilter } from "./filters/dedup.ts";
import { tripleQuotedDocstring } from "./filters/docstring-quotes.ts";
import type { ChainFilter } from "./filters/filter.ts";
import { hasParams } from "./filters/has-params.ts";
import { hasReturn } from "./filters/has-return.ts";
import { maxLines } from "./filters/max-lines.ts";
import { publicFunction } from "./filters/public-function.ts";
import { qualityJudgeFilter } from "./filters/quality-judge.ts";
import { standaloneFilter } from "./filters/standalone.ts";
import { typecheckFilter } from "./filters/typecheck.ts";
import { Funnel } from "./funnel.ts";
import type { PyrightOptions } from "./pyright.ts";
import { type RunInfo, toSeed } from "./seed-record.ts";
import type { SeedSink } from "./sinks.ts";

export interface ChainOptions {
  parser: Parser;
  decontaminator: Decontaminator;
  dedup: DedupState;
  /** Pyright options, or null to skip type checking */
  pyright: PyrightOptions | null;
  maxLines: number;
  /** the base model that judges docstring/code agreement, or none to skip the judge */
  judge?: Completer | null;
  /** also mine methods and nested functions; the reference takes module-level functions only */
  methods?: boolean;
  /** A short run's seeds spread over the corpus: public functions only, at most one per file (see `ingest`). */
  spread?: boolean;
}

/**
 * The reference's filters, cheap ones first: the text checks, then import inference (whose
 * standalone code the import check, Pyright, decontamination and dedup all read), Pyright,
 * decontamination, exact dedup, the optional model judge (never asked about a seed emitted
 * before), and near-dedup last, so that the index only ever holds emitted seeds.
 */
export function seedFilters(o: ChainOptions): ChainFilter[] {
  return [
    hasReturn,
    hasParams,
    ...(o.spread ? [publicFunction] : []),
    maxLines(o.maxLines),
    badWords,
    tripleQuotedDocstring,
    standaloneFilter(o.parser),
    badImports,
    ...(o.pyright ? [typecheckFilter(o.pyright)] : []),
    decontaminationFilter(o.decontaminator),
    exactDedupFilter(o.dedup),
    ...(o.judge ? [qualityJudgeFilter(o.judge)] : []),
    nearDedupFilter(o.dedup),
  ];
}

export interface IngestOptions extends ChainOptions {
  corpus: Corpus;
  sink: SeedSink;
  run: RunInfo;
  /** stop after emitting this many seeds */
  limit?: number;
  /** functions per Pyright run */
  batchSize: number;
  onProgress?: (filesDone: number, funnel: Funnel) => void;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function decode(raw: Buffer | string): string | null {
  if (typeof raw === "string") return raw;
  try {
    return decoder.decode(raw);
  } catch {
    return null;
  }
}

/** Mines one corpus into the sink; returns the funnel of counts. */
export async function ingest(o: IngestOptions): Promise<Funnel> {
  const filters = seedFilters(o);
  const funnel = new Funnel(filters);
  let emitted = 0;
  const limit = o.limit ?? Infinity;
  // Spread: one seed per file, so a few seeds come from as many modules (the corpus is walked in a
  // shuffled order then, see openCorpus). A skipped survivor is not added to the dedup index.
  const filesSeeded = new Set<string>();
  const emit = async (c: Candidate): Promise<void> => {
    if (emitted >= limit || !c.id || !c.signature) return;
    const file = `${c.source.repo}\0${c.source.path}`;
    if (o.spread && filesSeeded.has(file)) return;
    filesSeeded.add(file);
    emitted++;
    o.dedup.add(c.id, c.signature); // before any await: the next candidate must see it
    funnel.seeds++;
    await o.sink.write(toSeed(c, o.run));
    if (emitted % 256 === 0) await durable();
  };
  const durable = async () => {
    await o.sink.flush();
    o.dedup.flush();
  };
  const chain = new FilterChain(filters, funnel, o.batchSize, emit);

  for await (const file of o.corpus.files) {
    if (emitted >= limit) break;
    funnel.files++;
    const source = decode(await file.read());
    const r = source === null ? ({ parsed: false, reason: "not UTF-8" } as const) : extractFunctions(o.parser, source);
    if (!r.parsed) {
      funnel.unparsable(r.reason);
    } else {
      funnel.parsed++;
      for (const fn of r.functions) {
        if (!fn.top_level && !o.methods) continue;
        funnel.functions++;
        if (fn.docstring === null) continue;
        funnel.withDocstring++;
        await chain.push({ fn, source: { path: file.path, repo: file.repo, license: file.license }, imports: r.imports });
      }
    }
    o.onProgress?.(funnel.files, funnel);
  }
  await chain.finish();
  await durable();
  return funnel;
}
