import { configDefaults, defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "server",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The cell suite and the replica suite need clusters, HAProxy or PgBouncer of their own: vitest.cell.config.ts, vitest.replica.config.ts.
    exclude: [...configDefaults.exclude, "test/cell/**", "test/replica/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
