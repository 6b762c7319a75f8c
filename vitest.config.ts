import { defineConfig } from "vitest/config";

/**
 * One run over every package's tests. PGlite by default; PostgreSQL when TEST_DATABASE_URL is set.
 * The browser suite (apps/web/e2e) runs on its own: `pnpm test:e2e`.
 */
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/server", "tests"],
    globalSetup: ["./tests/global-setup.ts"],
    // Issue 3: line and branch coverage of the rules package, enforced in the test command.
    coverage: {
      provider: "v8",
      include: ["packages/domain/src/**/*.ts"],
      exclude: ["**/*.test.ts"],
      reporter: ["text-summary", ["text", { skipFull: true }]],
      thresholds: { lines: 95, branches: 95, functions: 95, statements: 95 },
    },
    reporters: process.env.SEATDESK_TEST_REPORT ? ["default", ["json", { outputFile: process.env.SEATDESK_TEST_REPORT }]] : ["default"],
  },
});
