import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * DESIGN.md §3: imports flow one way, domain ← db ← scheduler ← server; web imports domain and only
 * the *type* of the server's router; nothing imports server at run time; domain imports no other
 * package of ours. This test reads every source file and fails the build on a wrong-way import.
 */
const root = join(import.meta.dirname, "..");
const packages: Record<string, { dir: string; mayImport: string[]; typeOnly?: string[] }> = {
  "@seatdesk/domain": { dir: "packages/domain", mayImport: [] },
  "@seatdesk/db": { dir: "packages/db", mayImport: ["@seatdesk/domain"] },
  "@seatdesk/scheduler": { dir: "packages/scheduler", mayImport: ["@seatdesk/domain", "@seatdesk/db"] },
  "@seatdesk/server": { dir: "apps/server", mayImport: ["@seatdesk/domain", "@seatdesk/db", "@seatdesk/scheduler"] },
  "@seatdesk/web": { dir: "apps/web", mayImport: ["@seatdesk/domain"], typeOnly: ["@seatdesk/server/router"] },
  "@seatdesk/client": { dir: "packages/client", mayImport: ["@seatdesk/domain"], typeOnly: ["@seatdesk/server/router"] },
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(path);
  }
  return out;
}

/** Every import/export-from and dynamic import, with whether it is type-only. */
export function importsOf(source: string): { spec: string; typeOnly: boolean }[] {
  const found: { spec: string; typeOnly: boolean }[] = [];
  const staticRe = /^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?["']([^"']+)["']/gm;
  for (const m of source.matchAll(staticRe)) found.push({ spec: m[4]!, typeOnly: Boolean(m[2]) });
  for (const m of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push({ spec: m[1]!, typeOnly: false });
  return found;
}

describe("import direction (DESIGN.md §3)", () => {
  it("the import reader sees value, type and dynamic imports", () => {
    const seen = importsOf(`import { a } from "@seatdesk/db";\nimport type { B } from "@seatdesk/server/router";\nconst x = await import("@seatdesk/scheduler");\nexport * from "./y";`);
    expect(seen).toEqual([
      { spec: "@seatdesk/db", typeOnly: false },
      { spec: "@seatdesk/server/router", typeOnly: true },
      { spec: "./y", typeOnly: false },
      { spec: "@seatdesk/scheduler", typeOnly: false },
    ]);
  });

  for (const [name, rule] of Object.entries(packages)) {
    it(`${name} imports only what it may`, () => {
      const wrong: string[] = [];
      const files = sourceFiles(join(root, rule.dir));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        for (const { spec, typeOnly } of importsOf(readFileSync(file, "utf8"))) {
          if (!spec.startsWith("@seatdesk/")) continue;
          const pkg = spec.split("/").slice(0, 2).join("/");
          if (pkg === name) continue;
          const allowed = rule.mayImport.includes(pkg) || (typeOnly && (rule.typeOnly ?? []).includes(spec));
          if (!allowed) wrong.push(`${relative(root, file)}: ${typeOnly ? "import type" : "import"} ${spec}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it("no package declares a dependency against the flow", () => {
    const wrong: string[] = [];
    for (const [name, rule] of Object.entries(packages)) {
      const manifest = JSON.parse(readFileSync(join(root, rule.dir, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
      const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((d) => d.startsWith("@seatdesk/"));
      for (const dep of deps) {
        const typeOnlyPkg = (rule.typeOnly ?? []).some((spec) => spec.startsWith(`${dep}/`));
        if (!rule.mayImport.includes(dep) && !(typeOnlyPkg && manifest.devDependencies?.[dep])) wrong.push(`${name} → ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
