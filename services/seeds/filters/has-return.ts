import type { Filter } from "./filter.ts";

export const hasReturn: Filter = {
  kind: "each",
  name: "has_return",
  description: "has a return statement with a value",
  check: (c) => (c.fn.has_return ? null : "no return statement with a value"),
};
