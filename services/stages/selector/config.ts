import { z } from "zod";
import { policyNames } from "./policies.ts";

export const SelectorConfig = z.object({
  policy: z
    .string()
    .default("pass-random")
    .refine((p) => policyNames().includes(p), { error: (i) => `unknown selection policy ${JSON.stringify(i.input)}; have: ${policyNames().join(", ")}` }),
  /** How long a round may wait for missing samples (a response lost to a DLQ, a slow sandbox) before it is decided as is. */
  stragglerTimeoutMs: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
});
export type SelectorConfig = z.output<typeof SelectorConfig>;

export const SELECTOR_ENV_VARS = { policy: "SCA_SELECTION_POLICY", stragglerTimeoutMs: "SCA_STRAGGLER_TIMEOUT_MS" } as const;

export function loadSelectorConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<keyof SelectorConfig, string | number | undefined>> = {}): SelectorConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(SELECTOR_ENV_VARS)) {
    const v = flags[field as keyof SelectorConfig] ?? env[variable];
    if (v !== undefined && v !== "") raw[field] = v;
  }
  const r = SelectorConfig.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const field = String(i.path[0]) as keyof typeof SELECTOR_ENV_VARS;
    return `${field} (${SELECTOR_ENV_VARS[field]}): ${i.message} (got ${JSON.stringify(raw[field])})`;
  });
  throw new Error(`invalid selector configuration: ${problems.join("; ")}`);
}
