import { defineConfig } from "vitest/config";

/**
 * One run over every package's tests. PGlite by default; PostgreSQL when TEST_DATABASE_URL is set.
 * The browser suite (apps/web/e2e) runs on its own: `pnpm test:e2e`.
 */
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/server", "tests"],
    globalSetup: ["./tests/global-setup.ts"],
    reporters: process.env.SEATDESK_TEST_REPORT ? ["default", ["json", { outputFile: process.env.SEATDESK_TEST_REPORT }]] : ["default"],
  },
});
