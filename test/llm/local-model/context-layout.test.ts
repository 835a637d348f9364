import { describe, expect, it } from "vitest";
import { contextLayout } from "../../../services/llm/local-model/engine.ts";

describe("contextLayout", () => {
  it("gives each thread its own context while there are sequences for it", () => {
    expect(contextLayout(2, 2)).toEqual({ contexts: 2, sequencesPerContext: 1, threadsPerContext: 1 });
    expect(contextLayout(2, 4)).toEqual({ contexts: 2, sequencesPerContext: 1, threadsPerContext: 2 });
  });

  it("puts one request on all threads when it is alone", () => {
    expect(contextLayout(1, 2)).toEqual({ contexts: 1, sequencesPerContext: 1, threadsPerContext: 2 });
  });

  it("batches extra sequences inside the contexts, rounding up so every context has as many", () => {
    expect(contextLayout(4, 2)).toEqual({ contexts: 2, sequencesPerContext: 2, threadsPerContext: 1 });
    expect(contextLayout(3, 2)).toEqual({ contexts: 2, sequencesPerContext: 2, threadsPerContext: 1 });
    expect(contextLayout(2, 1)).toEqual({ contexts: 1, sequencesPerContext: 2, threadsPerContext: 1 });
  });
});
