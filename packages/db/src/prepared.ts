import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Executor } from "./connect";
import { rowsOf } from "./rows";

/** Renders column references as the schema's casing does ("scheduledTier" → scheduled_tier). */
const dialect = new PgDialect({ casing: "snake_case" });

/**
 * Runs one statement as a named prepared statement. A hot statement has a fixed text for a given name
 * (values travel as parameters, lists as arrays or JSON), so each connection parses and plans it once;
 * and an unnamed statement with parameters costs postgres.js two round trips (describe, then execute),
 * a prepared one a single round trip. Rows come back as the driver gives them, with column names as
 * written in the statement.
 */
export async function runPrepared<T extends Record<string, unknown>>(db: Executor, name: string, statement: SQL): Promise<T[]> {
  return rowsOf<T>(await db._.session.prepareQuery(dialect.sqlToQuery(statement), undefined, name, false).execute());
}

/** A timestamptz or bigint as the drivers return them (postgres.js: strings; PGlite: Date, number). */
export const instantOf = (v: string | Date | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));
export const numberOf = (v: string | number | bigint | null): number | null => (v === null ? null : Number(v));

/**
 * The advisory lock key that orders a profile's month close against its late usage events: the close
 * takes it exclusively, a late event shared (a bigint expression for pg_advisory_xact_lock*).
 */
export const closeLockKeyOf = (profileId: SQL) => sql`hashtextextended('seatdesk.close:' || ${profileId}::text, 0)`;
/** The same key for one profile id. */
export const closeLockKey = (profileId: string) => closeLockKeyOf(sql`${profileId}::uuid`);

/** `{a,b,c}::uuid[]`: a list of ids as one parameter, on both drivers. */
export const uuidArray = (ids: readonly string[]) => sql`${`{${ids.join(",")}}`}::uuid[]`;
