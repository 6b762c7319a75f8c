import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The browser suite: headless Chromium (Debian's, through playwright-core) against the real server
 * on embedded PGlite. Run after `vite build`: `pnpm --filter @seatdesk/web test:e2e`.
 * Starting the server (initdb in WASM, demo seed) takes 10 to 25 s, hence the long hook timeout.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["**/*.e2e.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // CI collects every suite's counts from a JSON report.
    reporters: process.env.SEATDESK_TEST_REPORT ? ["default", ["json", { outputFile: process.env.SEATDESK_TEST_REPORT }]] : ["default"],
  },
});
