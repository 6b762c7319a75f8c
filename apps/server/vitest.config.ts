import { configDefaults, defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "server",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The cell suite needs HAProxy and processes of its own: vitest.cell.config.ts.
    exclude: [...configDefaults.exclude, "test/cell/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
