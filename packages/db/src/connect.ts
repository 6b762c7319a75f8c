import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { rowsOf } from "./rows";
import * as schema from "./schema/index";

export type Schema = typeof schema;
/** The database, on either driver. Query helpers take this (or a transaction) as their first argument. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Executor = Db | Tx;

export type DatabaseKind = "pglite" | "postgres";

export interface Database {
  db: Db;
  kind: DatabaseKind;
  /** Applies the committed migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

export interface ConnectOptions {
  /** A PostgreSQL URL; without it, embedded PGlite. */
  url?: string | undefined;
  /** PGlite data folder; without it (and without url), an in-memory database. */
  dataDir?: string | undefined;
  /** PGlite: start from a dump made by dumpDataDir() (tests). */
  loadDataDir?: Blob | File | undefined;
  /** postgres.js pool size. */
  max?: number;
  /**
   * PostgreSQL: the longest one statement may run, in milliseconds (the server's `statement_timeout`);
   * unset or 0, unbounded. The API sets one so a request never hangs on the database; the month close's
   * worker runs long set-based statements and leaves it unbounded.
   */
  statementTimeoutMs?: number;
  /**
   * PostgreSQL: whether statements are prepared on the server (postgres.js's named statements; the default).
   * Off for a pooler that hands each transaction to any server connection (PgBouncer before 1.21 in
   * transaction mode): every statement is then sent unnamed, and the statement timeout is not sent as a
   * connection parameter either (such a pooler refuses it), so it must be set on the database role.
   */
  prepare?: boolean;
}

/** The API server's statement timeout (PostgreSQL): a request fails (503) rather than waits longer on one statement. */
export const apiStatementTimeoutMs = 15_000;

/**
 * postgres.js settings that bound a fault: a connection attempt gives up after 2 s (not the library's 30);
 * an idle connection is closed after 30 s (a pool emptied by an outage or a restart of PostgreSQL fills
 * again on demand); and the delay before a connection that failed is tried again stays at or under 1 s
 * (the library's default grows to 20 s after a few failures, which would keep a recovered database
 * unused for that long).
 */
export const postgresFaultBounds = {
  connect_timeout: 2,
  idle_timeout: 30,
  backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
} as const;

const casing = "snake_case" as const;

export async function connect(options: ConnectOptions = {}): Promise<Database> {
  if (options.url) {
    const url = options.url;
    const prepare = options.prepare ?? true;
    const statementTimeoutMs = prepare ? (options.statementTimeoutMs ?? 0) : 0;
    const client = postgres(url, {
      max: options.max ?? 10,
      onnotice: () => {},
      prepare,
      ...postgresFaultBounds,
      ...(statementTimeoutMs > 0 ? { connection: { statement_timeout: statementTimeoutMs } } : {}),
    });
    const db = drizzlePostgres(client, { schema, casing }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      // On a connection of its own, without the statement timeout: a migration may rewrite a large table.
      migrate: async () => {
        const migrator = postgres(url, { max: 1, onnotice: () => {}, prepare, ...postgresFaultBounds });
        try {
          await migratePostgres(drizzlePostgres(migrator, { casing }), { migrationsFolder });
        } finally {
          await migrator.end({ timeout: 5 });
        }
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions: { pg_trgm },
  });
  const db = drizzlePglite(client, { schema, casing }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    migrate: () => migratePglite(drizzlePglite(client, { casing }), { migrationsFolder }),
    close: () => client.close(),
  };
}

/** The underlying PGlite, for tests that snapshot a migrated database. */
export async function dumpPglite(database: Database): Promise<Blob> {
  const client = (database.db as unknown as { $client: PGlite }).$client;
  return client.dumpDataDir("none");
}

/** When the newest committed migration was made (drizzle-kit's journal), as the migrator records it. */
function newestMigrationMillis(): number {
  const journal = JSON.parse(readFileSync(fileURLToPath(new URL("../migrations/meta/_journal.json", import.meta.url)), "utf8")) as { entries: { when: number }[] };
  return Math.max(0, ...journal.entries.map((e) => e.when));
}
let newestMigration: number | undefined;

/**
 * Whether the database has every committed migration applied: drizzle's migrator records each one in
 * drizzle.__drizzle_migrations with the journal's `when`, and applies those newer than the newest it
 * recorded, so the database is current when that newest is at least the journal's. One statement, so
 * it also shows the database answers (a missing table, a database never migrated, is "not current").
 */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  newestMigration ??= newestMigrationMillis();
  let newest: number;
  try {
    const [row] = rowsOf<{ newest: string }>(await db.execute(sql`select coalesce(max(created_at), 0)::text as newest from drizzle.__drizzle_migrations`));
    newest = Number(row?.newest ?? 0);
  } catch (e) {
    // Never migrated (no schema or table yet): not current. Anything else (the database is down) is the caller's to report.
    const code = (e as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (e as { code?: unknown }).code;
    if (code === "42P01" || code === "3F000") return false;
    throw e;
  }
  return newest >= newestMigration;
}
