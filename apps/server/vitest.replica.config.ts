import { defineConfig } from "vitest/config";

/**
 * The replica and pooler suite (test/replica): PostgreSQL clusters, PgBouncer and HAProxy of this machine's
 * Debian packages, made and removed by the tests themselves (as root). Not part of `pnpm test`: `.ci/run`
 * runs it, or `pnpm --filter @seatdesk/server test:replica`.
 */
export default defineConfig({
  test: {
    include: ["test/replica/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: process.env.SEATDESK_TEST_REPORT ? ["default", ["json", { outputFile: process.env.SEATDESK_TEST_REPORT }]] : ["default"],
  },
});
