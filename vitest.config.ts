import { defineConfig } from "vitest/config";

/**
 * Test tiers, named by what a test needs: `<name>.<tier>.test.ts`; a plain `<name>.test.ts` is a
 * unit test (no root, broker, Docker, model or installed test infrastructure; the whole tier runs in
 * under a minute: `npm run test:unit`). `npm test` runs every tier against the real infrastructure.
 */
const TIERS = {
  kafka: "a Kafka broker and schema registry (test/infra/with-infra.sh)",
  sandbox: "Docker with gVisor, or bubblewrap: programs run in the sandbox",
  model: "the local model file (test/infra/install-model.sh)",
  deploy: "the deployment artefacts built and run: images, compose, kustomize, Prometheus",
  e2e: "sca processes run, killed and restarted end to end, and the export read by Python's datasets",
} as const;

const tierGlob = (tier: string) => `test/**/*.${tier}.test.ts`;

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // 2 cores: Kafka, Docker and the model compete with the tests themselves.
    maxWorkers: 2,
    reporters: ["verbose"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["**/node_modules/**", ...Object.keys(TIERS).map(tierGlob)] } },
      ...Object.keys(TIERS).map((tier) => ({
        extends: true,
        test: {
          name: tier,
          include: [tierGlob(tier)],
          exclude: ["**/node_modules/**"],
        },
      })),
    ],
  },
});
