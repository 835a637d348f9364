import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { allTopicSpecs } from "../../schemas/topics.ts";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { ACCEPTANCE, runLlmOutage } from "./llm-outage-scenario.ts";

describe("an LLM server outage on the embedded log", () => {
  it("holds the records through 90 s refused + 60 s of 503 and loses none to the DLQ", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sca-llm-outage-"));
    const transport = EmbeddedTransport.open(dir, { fsync: false });
    try {
      await transport.admin().createTopics(allTopicSpecs().map((t) => ({ name: t.name, partitions: Math.min(t.partitions, 3) })));
      await runLlmOutage(transport, ACCEPTANCE);
    } finally {
      await transport.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
