import { defineConfig } from "vitest/config";

/**
 * The cell suite (test/cell): two API servers and two workers behind HAProxy on PostgreSQL, started by
 * the global setup through ops/cell.sh (`pnpm cell:up`) and stopped after (`pnpm cell:down`). Not part of
 * the normal suite: `npx -y pnpm@12.4.2 test:cell` with CELL_DATABASE_URL or TEST_DATABASE_URL set.
 */
export default defineConfig({
  test: {
    name: "cell",
    include: ["test/cell/**/*.test.ts"],
    globalSetup: ["test/cell/global-setup.ts"],
    // One file at a time: each loads the same two servers, and one kills a worker.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.SEATDESK_TEST_REPORT ? ["default", ["json", { outputFile: process.env.SEATDESK_TEST_REPORT }]] : ["default"],
  },
});
