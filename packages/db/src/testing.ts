import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import { connect, dumpPglite, migrationsFolder, type Database, type Db } from "./connect";
import * as schema from "./schema/index";

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

/** One statement as the application sent it: a line of the SEATDESK_SQL_LOG file. */
export interface LoggedStatement {
  sql: string;
  params: unknown[];
}

/**
 * The database as the application under test should see it: with SEATDESK_SQL_LOG set to a file, the same
 * connections, with every statement sent through them appended to that file (one JSON line each; tenant-sql.ts
 * reads them). A test's own reads and set-up go through the database it was given, unlogged, so the log holds
 * what the product sends and nothing else. Without the variable, the database itself.
 */
export function applicationDatabase(database: Database): Database {
  const file = process.env.SEATDESK_SQL_LOG;
  if (!file) return database;
  const logger = {
    logQuery(query: string, params: unknown[]) {
      const line: LoggedStatement = { sql: query, params };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    },
  };
  const client = (database.db as unknown as { $client: unknown }).$client;
  const db = (
    database.kind === "postgres"
      ? drizzlePostgres(client as Sql, { schema, casing: "snake_case", logger })
      : drizzlePglite(client as PGlite, { schema, casing: "snake_case", logger })
  ) as unknown as Db;
  return { ...database, db };
}
