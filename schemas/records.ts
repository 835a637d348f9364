import { z } from "zod";
import { Id, Lineage } from "./common.ts";

/** One seed function mined from a corpus. Key: id. */
export const Seed = z.object({
  id: Id,
  code: z.string().min(1).describe("verbatim source of the function"),
  standalone: z.string().min(1).describe("the code with its inferred imports: what later stages see"),
  name: z.string(),
  path: z.string(),
  start_line: z.number().int().positive(),
  end_line: z.number().int().positive(),
  repo: z.string(),
  license: z.string(),
  lineage: Lineage,
});
export type Seed = z.infer<typeof Seed>;

/** Provenance every generated record carries so the dataset row needs no joins. */
export const SeedRef = z.object({
  seed_id: Id,
  seed: z.string().describe("the standalone seed code"),
  path: z.string(),
  repo: z.string(),
  license: z.string(),
});
export type SeedRef = z.infer<typeof SeedRef>;

/** S→C: concepts extracted from one seed. Key: seed id. */
export const Concepts = z.object({
  id: Id,
  seed: SeedRef,
  concepts: z.array(z.string().min(1)).min(1),
  raw: z.string().describe("the raw completion"),
  lineage: Lineage,
});
export type Concepts = z.infer<typeof Concepts>;

export const Category = z.enum(["function implementation", "class implementation", "program implementation"]);
export const Difficulty = z.enum(["easy", "medium", "hard"]);

/** C→I: one generated task. Key: instruction id. */
export const Instruction = z.object({
  id: Id,
  seed: SeedRef,
  concepts_id: Id,
  concepts: z.array(z.string()),
  category: Category,
  language: z.string(),
  difficulty: Difficulty,
  instruction: z.string().min(1),
  raw: z.string(),
  lineage: Lineage,
});
export type Instruction = z.infer<typeof Instruction>;

/** I→R: ONE sampled response with its own tests (sample i of n). Key: instruction id. */
export const Response = z.object({
  id: Id,
  instruction_id: Id,
  sample_index: z.number().int().nonnegative(),
  n_samples: z.number().int().positive(),
  instruction: z.string(),
  seed: SeedRef,
  concepts: z.array(z.string()),
  category: Category,
  difficulty: Difficulty,
  response: z.string().describe("the response text the dataset will hold"),
  code: z.string().describe("code extracted from the response"),
  tests: z.string().describe("the test code block"),
  raw: z.string(),
  finish_reason: z.string().nullable(),
  lineage: Lineage,
});
export type Response = z.infer<typeof Response>;

export const VerdictStatus = z.enum(["pass", "fail", "timeout", "memory", "crash", "sandbox_error"]);
export type VerdictStatus = z.infer<typeof VerdictStatus>;

/**
 * An attempt to forge a sandbox run's completion (services/sandbox/README.md): what the sandbox's audit
 * hook refused (reading the sealed completion writer or its frame, gc object scans, /proc/self/mem,
 * ctypes, native extensions from outside /usr, trace functions, audit hooks, calling the writer), or a
 * completion marker the sandbox did not write.
 */
export const TamperingKind = z.enum([
  "completion-call",
  "sealed-function",
  "sealed-frame",
  "proc-mem",
  "native-import",
  "trace",
  "gc",
  "audit-hook",
  "ctypes",
  "forged-marker",
  "result-flood",
]);
export type TamperingKind = z.infer<typeof TamperingKind>;

/** The sandbox result of one response; carries the response so the selector needs no join. Key: instruction id. */
export const Verdict = z.object({
  id: Id,
  instruction_id: Id,
  response_id: Id,
  sample_index: z.number().int().nonnegative(),
  n_samples: z.number().int().positive(),
  status: VerdictStatus,
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  duration_ms: z.number().nonnegative(),
  stdout_tail: z.string(),
  stderr_tail: z.string(),
  backend: z.string(),
  /** Absent in verdicts written before the sandbox reported it. */
  tampering: z.array(TamperingKind).optional().describe("attempts to forge completion; a verdict with any is never a pass"),
  response: Response,
  lineage: Lineage,
});
export type Verdict = z.infer<typeof Verdict>;

/** One selected instruction–response pair with full lineage. Key: instruction id. */
export const DatasetSample = z.object({
  id: Id,
  instruction_id: Id,
  response_id: Id,
  instruction: z.string(),
  response: z.string(),
  tests: z.string(),
  seed_id: Id,
  seed: z.string(),
  seed_path: z.string(),
  seed_repo: z.string(),
  seed_license: z.string(),
  concepts: z.array(z.string()),
  category: Category,
  difficulty: Difficulty,
  model: z.string(),
  prompt_hash: z.string(),
  selection_policy: z.string(),
  n_samples: z.number().int(),
  n_passed: z.number().int(),
  created_at: z.string(),
  /** Set when a re-judgement or re-selection withdraws a row emitted earlier: sinks delete the instruction's row. */
  retracted: z.boolean().optional(),
  lineage: Lineage,
});
export type DatasetSample = z.infer<typeof DatasetSample>;

/**
 * A selected pair on its way to curation: the dataset row plus the response completion as the model
 * wrote it, which the reference's format checks read (the `</response>` / `<tests>` separation, the
 * code fences' tags). Key: instruction id.
 */
export const SelectedPair = DatasetSample.extend({ raw: z.string().describe("the response completion: response, </response>, tests") });
export type SelectedPair = z.infer<typeof SelectedPair>;

/**
 * The selector's per-instruction aggregation state, one record per update. Key: instruction id.
 * Restored on start (last record per key wins), emitted in the same commit as the verdict that
 * changed it, so state and input offsets never disagree after a crash.
 */
export const SelectorState = z.object({
  instruction_id: Id,
  n_samples: z.number().int().positive(),
  category: Category,
  difficulty: Difficulty,
  /** The policy of the last decision. */
  policy: z.string(),
  /** The latest verdict per sample index. */
  samples: z.array(
    z.object({
      sample_index: z.number().int().nonnegative(),
      verdict_id: Id,
      /** The verdict's lineage.created_at: a re-judgement keeps the verdict id (same image) but not this. */
      judged_at: z.string(),
      status: VerdictStatus,
      contaminated: z.boolean(),
    }),
  ),
  /** Sample indices reported since the last decision: the round in progress. */
  pending: z.array(z.number().int().nonnegative()),
  pending_since: z.string().nullable(),
  /** The policy's favourite among the round's eligible samples so far, as the row it would become. */
  best: z.object({ score: z.number(), row: SelectedPair }).nullable(),
  /** The row currently selected for this instruction, if any. */
  emitted: SelectedPair.nullable(),
  last_decision: z
    .object({ outcome: z.enum(["selected", "no_pass", "contaminated"]), n_passed: z.number().int(), decided_at: z.string(), complete: z.boolean() })
    .nullable(),
});
export type SelectorState = z.infer<typeof SelectorState>;

/**
 * Every reason curation drops a selected pair, in the order a pair is checked: first what the pair
 * fails on its own (the reference's `sanitize_data.py` format checks, the instruction length, the
 * MinHash minimum length), then what it duplicates among the pairs kept before it (exact match on
 * the instruction and on the response, the same defined names, then the three MinHash passes).
 */
export const STANDALONE_RULES = ["bad_separator", "placeholder", "no_python_block", "no_assert", "unparsable", "too_long", "too_short"] as const;
export const DUPLICATE_RULES = ["exact_instruction", "exact_response", "same_names", "near_instruction", "near_response", "near_code"] as const;
export const CURATION_RULES = [...STANDALONE_RULES, ...DUPLICATE_RULES] as const;
export const CurationRuleName = z.enum(CURATION_RULES);
export type CurationRule = z.infer<typeof CurationRuleName>;

/**
 * Curation's state for one instruction, one record per change. Key: instruction id. Written in the
 * same commit as the `selected` record that caused it (and as the records of the other instructions
 * its arrival re-decided), restored on start: the dedup index is rebuilt from these features.
 */
export const CurationState = z.object({
  instruction_id: Id,
  /** The selected pair, without its raw completion; null once the selector retracted it. */
  pair: DatasetSample.nullable(),
  /** The settings the features were computed under (a changed setting recomputes them on the next delivery). */
  config: z.string(),
  features: z
    .object({
      /** The first rule the pair fails on its own, if any. */
      failed: CurationRuleName.nullable(),
      instruction_key: z.string(),
      response_key: z.string(),
      /** The defined function-name set and class-name set, each when non-empty. */
      names: z.array(z.string()),
      /** MinHash signatures (base64 little-endian uint32) per pass; null where the pass does not apply. */
      signatures: z.object({ instruction: z.string().nullable(), response: z.string().nullable(), code: z.string().nullable() }),
    })
    .nullable(),
  status: z.enum(["kept", "dropped", "retracted"]),
  rule: CurationRuleName.nullable(),
  /** The kept pair this one duplicates. */
  duplicate_of: Id.nullable(),
  /** Whether `pair` is in the dataset topic now. */
  emitted: z.boolean(),
});
export type CurationState = z.infer<typeof CurationState>;

/** A record a stage could not process: original bytes + why. Key: original key. */
export const DlqEnvelope = z.object({
  source_topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  value_base64: z.string(),
  stage: z.string(),
  reason: z.enum(["schema_invalid", "undecodable", "poison", "retries_exhausted", "unparsable_output", "truncated_output"]),
  error: z.string(),
  attempts: z.number().int(),
  failed_at: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type DlqEnvelope = z.infer<typeof DlqEnvelope>;
