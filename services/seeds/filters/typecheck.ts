import { standaloneOf } from "../candidate.ts";
import { pyrightErrors, type PyrightOptions, DEFAULT_PYRIGHT } from "../pyright.ts";
import type { BatchFilter } from "./filter.ts";

/** Pyright over the standalone code; any error (undefined name, type error, missing module) drops the function. */
export function typecheckFilter(opts: PyrightOptions = DEFAULT_PYRIGHT): BatchFilter {
  return {
    kind: "batch",
    name: "typecheck",
    description: "Pyright reports no error",
    checkBatch: async (cs) => {
      const errors = await pyrightErrors(
        cs.map((c) => standaloneOf(c, "typecheck").code),
        opts,
      );
      return errors.map((e) => (e.length === 0 ? null : e[0]));
    },
  };
}
