import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, dumpPglite, migrationsFolder, type Database } from "./connect";

/** Where the migrated PGlite snapshot for this set of migrations lives; changes when a migration does. */
function snapshotPath(): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(migrationsFolder, { recursive: true }).map(String).sort()) {
    const file = join(migrationsFolder, name);
    if (name.endsWith(".sql") || name.endsWith(".json")) hash.update(name).update(readFileSync(file));
  }
  return join(tmpdir(), "seatdesk-test", `pglite-${hash.digest("hex").slice(0, 16)}.tar`);
}

/**
 * Run once before the suite: migrates TEST_DATABASE_URL, or builds (and caches) a migrated PGlite
 * snapshot so that each test file starts its own database in about a second instead of running initdb.
 */
export async function prepareTestDatabase(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const database = await connect({ url, max: 1 });
    await database.migrate();
    await database.close();
    return;
  }
  const path = snapshotPath();
  if (!existsSync(path)) {
    const database = await connect();
    await database.migrate();
    const blob = await dumpPglite(database);
    await database.close();
    mkdirSync(join(path, ".."), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    renameSync(partial, path);
  }
  process.env.SEATDESK_PGLITE_SNAPSHOT = path;
}

/** A migrated database for one test file: PostgreSQL when TEST_DATABASE_URL is set, else a fresh PGlite. */
export async function openTestDatabase(options: { max?: number } = {}): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return connect({ url, max: options.max ?? 4 });
  const snapshot = process.env.SEATDESK_PGLITE_SNAPSHOT;
  if (snapshot && existsSync(snapshot)) return connect({ loadDataDir: new Blob([readFileSync(snapshot)]) });
  const database = await connect();
  await database.migrate();
  return database;
}
