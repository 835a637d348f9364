import { z } from "zod";
import { policyNames } from "../selector/policies.ts";

const positiveInt = z.coerce.number().int().positive();

/** `sca run`'s flags, validated; each also documented in the README's configuration reference. */
export const RunOptions = z
  .object({
    corpus: z.array(z.string().min(1)).default([]),
    seeds: z.string().min(1).optional(),
    limit: positiveInt.default(10),
    samples: positiveInt.default(10),
    out: z.string().min(1).default("out"),
    state: z.string().min(1).default(".sca-state"),
    llmBaseUrl: z.url().optional(),
    llmModel: z.string().min(1).optional(),
    sandbox: z.enum(["auto", "docker", "bwrap"]).default("auto"),
    sandboxTimeout: z.string().regex(/^\d+(\.\d+)?$/, "seconds, e.g. 10 or 2.5").optional(),
    policy: z.string().refine((p) => policyNames().includes(p), { error: `a selection policy: ${policyNames().join(", ")}` }).default("pass-random"),
    stragglerTimeoutMs: positiveInt.default(10 * 60_000),
    typecheck: z.boolean().default(true),
    progress: z.enum(["auto", "bars", "lines", "none"]).default("auto"),
  })
  .refine((o) => !(o.seeds && o.corpus.length > 0), { message: "give --seeds FILE or a corpus, not both", path: ["seeds"] });
export type RunOptions = z.output<typeof RunOptions>;
