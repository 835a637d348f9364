import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The scale-out chaos test exposes a partition that stalls after a rebalance (issue 14, open):
    // it runs on its own with `npm run test:chaos` until that is fixed, not in `npm test`.
    exclude: [...(process.env.SCA_CHAOS ? [] : ["test/e2e/chaos-kafka.test.ts"]), "**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // 2 cores: Kafka, Docker and the model compete with the tests themselves.
    maxWorkers: 2,
    reporters: ["verbose"],
  },
});
