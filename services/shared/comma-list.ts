import { z } from "zod";

/** A comma-separated setting ("a, b,c") as a list of `item`s; blanks are dropped, so "" is the empty list. */
export function commaList<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== ""),
    )
    .pipe(z.array(item));
}
