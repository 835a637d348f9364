import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // 2 cores: Kafka, Docker and the model compete with the tests themselves.
    maxWorkers: 2,
    reporters: ["verbose"],
  },
});
