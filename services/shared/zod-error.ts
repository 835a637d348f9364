import type { z } from "zod";

/** "field.path: message (got value)" for each issue: names the field and the value, never just a stack. */
export function describeZodError(err: z.ZodError, value: unknown): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      let v: unknown = value;
      for (const k of i.path) v = v != null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
      const shown = v === undefined ? "missing" : JSON.stringify(v)?.slice(0, 80);
      return `${i.path.join(".") || "(root)"}: ${i.message} (got ${shown})`;
    })
    .join("; ");
}
