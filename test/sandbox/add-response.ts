import { contentId, SCHEMA_VERSION } from "../../schemas/common.ts";
import { Response } from "../../schemas/records.ts";

/** A model's answer as the responses stage parses it: a code block, `</response>`, then a tests block. */
export const fenced = (impl: string, tests: string) => `Sure.\n\`\`\`python\n${impl}\`\`\`\n</response>\n\n<tests>\n\`\`\`python\n${tests}\`\`\`\n`;

/** A response to the task "Write add(a, b).", whose text is `raw`, for the verdicts stage to judge. */
export function addResponse(instruction_id: string, sample_index: number, n_samples: number, raw: string): Response {
  return Response.parse({
    id: contentId({ parent: instruction_id, stage: "responses", sample: sample_index }),
    instruction_id,
    sample_index,
    n_samples,
    instruction: "Write add(a, b).",
    seed: { seed_id: contentId({ parent: "seed", stage: "seeds" }), seed: "def add(a, b):\n    return a + b\n", path: "a.py", repo: "r", license: "MIT" },
    concepts: ["arithmetic"],
    category: "function implementation",
    difficulty: "easy",
    response: raw,
    code: "",
    tests: "",
    raw,
    finish_reason: "stop",
    lineage: { run_id: "run-1", schema_version: SCHEMA_VERSION, created_at: "2026-01-01T00:00:00.000Z", model: "m" },
  });
}
