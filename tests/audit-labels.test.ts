import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The Audit log names every action in words (apps/web/src/features/audit/actions.ts): an action the server
 * or the scheduler writes without a label there would show as its code. This test reads the sources for the
 * codes they write (`action: "…"` in an audit entry or `const action = …` before it, a quoted action in an `insert into audit_log`, the
 * assignment audit's `assignment.<action>`) and fails
 * on any the console does not name.
 */
const root = join(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.ts$/.test(name) && !name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

function writtenActions(): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of ["apps/server/src", "packages/scheduler/src"]) {
    for (const file of sourceFiles(join(root, dir))) {
      const source = readFileSync(file, "utf8");
      for (const m of source.matchAll(/\baction: "([a-z][a-zA-Z-]*(?:\.[a-zA-Z-]+)+)"/g)) found.set(m[1]!, relative(root, file));
      // An action chosen before the entry: `const action = … ? "…" : "…"`.
      for (const line of source.matchAll(/\bconst action = ([^;]+);/g)) for (const m of line[1]!.matchAll(/"([a-z][a-zA-Z-]*(?:\.[a-zA-Z-]+)+)"/g)) found.set(m[1]!, relative(root, file));
      // Audit rows written in SQL (the month close): the action is a quoted literal of the insert's select.
      if (source.includes("insert into audit_log")) for (const m of source.matchAll(/'([a-z][a-zA-Z-]*\.[a-zA-Z.-]+)'/g)) found.set(m[1]!, relative(root, file));
      // The assignment audit: `assignment.${audit.action}` over the actions its caller passes.
      if (source.includes("`assignment.${")) for (const a of ["subscribe", "change-plan", "unsubscribe"]) found.set(`assignment.${a}`, relative(root, file));
    }
  }
  return found;
}

describe("audit action labels", () => {
  it("every action the server and the scheduler write has a label in the console", () => {
    const labelled = new Set([...readFileSync(join(root, "apps/web/src/features/audit/actions.ts"), "utf8").matchAll(/code: "([^"]+)"/g)].map((m) => m[1]!));
    const written = writtenActions();
    // The reader finds the actions it must (one per kind of writer), so an empty scan cannot pass.
    for (const known of ["period.close", "webhook.endpoint.create", "scim.user.create", "assignment.subscribe"]) expect(written.has(known), known).toBe(true);
    const missing = [...written].filter(([code]) => !labelled.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });
});
