/**
 * `pnpm --filter @seatdesk/server build` (and the root `pnpm build`): compiles what production runs to
 * JavaScript in apps/server/dist, run with plain `node` (no tsx):
 *
 *   dist/main.js       the server                  dist/migrate.js    applies the migrations
 *   dist/worker.js     the month-close worker      dist/seatdesk.js   the operators' command line
 *
 * Our workspace packages are bundled in; npm packages stay imports, resolved from apps/server's
 * node_modules, so each must be a dependency of @seatdesk/server (checked below: a production install
 * without devDependencies must run). Code shared by the entries goes to dist/chunks; the demo seed
 * is a chunk of its own, loaded only when seeding. The migrations are copied beside the chunk that
 * reads them, where `new URL("../migrations", import.meta.url)` finds them.
 */
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { build, type Metafile, type Plugin } from "esbuild";

const root = import.meta.dirname;
const dist = join(root, "dist");

/** The compiled programs: name in dist → source. Optional ones are built when their source exists. */
export const entries: { name: string; source: string; optional?: boolean }[] = [
  { name: "main", source: "src/main.ts" },
  { name: "worker", source: "src/worker.ts" },
  { name: "migrate", source: "../../packages/db/src/migrate-cli.ts" },
  { name: "seatdesk", source: "src/ops/cli.ts", optional: true },
];

/** The module whose `../migrations` is the migrations folder. */
const migrationsReader = "packages/db/src/connect.ts";
const migrationsSource = resolve(root, "../../packages/db/migrations");

/** npm packages stay imports; our own (@seatdesk/*) and relative imports are bundled. */
const externalNpm: Plugin = {
  name: "external-npm",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@seatdesk/") ? undefined : { path: args.path, external: true }));
  },
};

const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
const builtins = new Set(builtinModules);

/**
 * Every npm package a compiled program imports must be a dependency of the server; a devDependency
 * (the demo's faker) may be imported only by a chunk that is loaded dynamically.
 */
function checkExternals(metafile: Metafile, entryOutputs: string[]): string[] {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const problems: string[] = [];
  const staticallyLoaded = new Set<string>();
  const visit = (out: string) => {
    if (staticallyLoaded.has(out)) return;
    staticallyLoaded.add(out);
    for (const i of metafile.outputs[out]?.imports ?? []) if (!i.external && i.kind === "import-statement") visit(i.path);
  };
  // Not meta.entryPoint: a dynamically imported module has one too.
  for (const out of entryOutputs) visit(out);
  for (const [out, meta] of Object.entries(metafile.outputs)) {
    for (const i of meta.imports) {
      if (!i.external || i.path.startsWith("node:") || builtins.has(i.path)) continue;
      const pkg = packageOf(i.path);
      if (manifest.dependencies?.[pkg]) continue;
      if (manifest.devDependencies?.[pkg] && !staticallyLoaded.has(out)) continue;
      problems.push(`${out} imports ${pkg}, which is not in @seatdesk/server's dependencies${manifest.devDependencies?.[pkg] ? " (only devDependencies, and loaded at start)" : ""}`);
    }
  }
  return [...new Set(problems)];
}

/** Builds into `outdir` (dist; tests build into a folder of their own, which must be inside apps/server so the npm packages resolve). */
export async function buildServer(options: { quiet?: boolean; outdir?: string } = {}): Promise<{ outdir: string }> {
  const outdir = options.outdir ?? dist;
  const chosen = entries.filter((e) => !e.optional || existsSync(join(root, e.source)));
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(chosen.map((e) => [e.name, e.source])),
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
    plugins: [externalNpm],
  });
  const problems = checkExternals(
    result.metafile,
    chosen.map((e) => relative(root, join(outdir, `${e.name}.js`))),
  );
  if (problems.length) throw new Error(`build: ${problems.join("; ")}`);

  const readers = Object.entries(result.metafile.outputs).filter(([, meta]) => Object.keys(meta.inputs).some((i) => i.endsWith(migrationsReader)));
  if (readers.length === 0) throw new Error(`build: no output holds ${migrationsReader}`);
  for (const [out] of readers) {
    const target = resolve(root, dirname(out), "../migrations");
    if (relative(outdir, target).startsWith("..")) throw new Error(`build: ${out} would look for the migrations outside dist (${target})`);
    cpSync(migrationsSource, target, { recursive: true });
  }
  if (!options.quiet) {
    const skipped = entries.filter((e) => !chosen.includes(e)).map((e) => `${e.name} (${e.source} not found)`);
    process.stdout.write(`built ${chosen.map((e) => `${relative(root, outdir)}/${e.name}.js`).join(", ")}${skipped.length ? `; skipped ${skipped.join(", ")}` : ""}\n`);
  }
  return { outdir };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(root, "build.ts")) await buildServer();
