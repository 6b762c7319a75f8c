import { is, Placeholder, SQL, sql, type Query } from "drizzle-orm";
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
export async function runPrepared<T extends Record<string, unknown>>(db: Executor, name: string, statement: SQL | Query): Promise<T[]> {
  return rowsOf<T>(await db._.session.prepareQuery(toQuery(statement), undefined, name, false).execute());
}

/** A statement's text and parameters: drizzle renders an SQL tree; a Query (from `bind`) is rendered already. */
export const toQuery = (statement: SQL | Query): Query => (is(statement, SQL) ? dialect.sqlToQuery(statement) : statement);

/**
 * A statement rendered once: its text, and for each parameter the name of the value that fills it (or
 * the constant the statement was built with).
 */
export interface Shape {
  readonly text: string;
  readonly slots: readonly ({ name: string } | { value: unknown })[];
}

/**
 * Renders a statement whose values are drizzle placeholders (`sql.placeholder("account")`), once. Each
 * name becomes one parameter, however often the statement uses it. For the hot paths (services/usage):
 * rendering a drizzle SQL tree on every call was a seventh of the usage server's busy time (bench:usage's
 * CPU profile, 2026-12-07), and a statement's text depends only on its shape (how many users, keys,
 * periods), so it is rendered once per shape and only its values are given on each call (`bind`).
 */
export function shapeOf(statement: SQL): Shape {
  const query = dialect.sqlToQuery(statement);
  const markers = query.sql.match(/\$\d+\b/g) ?? [];
  // drizzle numbers parameters $1, $2, … in the order of the text; anything else would be renumbered wrongly.
  if (markers.length !== query.params.length || markers.some((m, i) => m !== `$${i + 1}`)) {
    throw new Error("shapeOf: a statement's text must hold its parameters in order, and no other $n");
  }
  const slots: Shape["slots"][number][] = [];
  const byName = new Map<string, number>();
  const renumbered = query.params.map((p) => {
    if (!is(p, Placeholder)) return slots.push({ value: p });
    const seen = byName.get(p.name);
    if (seen !== undefined) return seen;
    byName.set(p.name, slots.push({ name: p.name }));
    return slots.length;
  });
  let i = 0;
  return { text: query.sql.replace(/\$\d+\b/g, () => `$${renumbered[i++]}`), slots };
}

/** A shape with its values: every name the statement uses must be given. */
export function bind(shape: Shape, values: Record<string, unknown>): Query {
  const params = shape.slots.map((s) => {
    if ("value" in s) return s.value;
    const v = values[s.name];
    if (v === undefined) throw new Error(`bind: no value for "${s.name}"`);
    return v;
  });
  return { sql: shape.text, params };
}

/** Shapes rendered once each, by a key that names the shape; bounded (a key is a handful of counts). */
export class Shapes {
  private readonly rendered = new Map<string, Shape>();
  constructor(private readonly max = 1_000) {}
  get(key: string, build: () => SQL): Shape {
    let shape = this.rendered.get(key);
    if (!shape) {
      if (this.rendered.size >= this.max) this.rendered.clear();
      this.rendered.set(key, (shape = shapeOf(build())));
    }
    return shape;
  }
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
