import type { Filter } from "./filter.ts";

export const hasParams: Filter = {
  kind: "each",
  name: "has_params",
  description: "takes at least one argument",
  check: (c) => (c.fn.params.length > 0 ? null : "takes no arguments"),
};
