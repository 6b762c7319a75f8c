import { sql } from "drizzle-orm";
import type { Database } from "@seatdesk/db";

function rowsOf(result: unknown): Record<string, unknown>[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

/**
 * A digest of everything an account owns: every table with an account_id column (a partitioned one through its parent), row by row.
 * Equal before and after a call means the call changed nothing of that account.
 */
export async function tenantFingerprint(database: Database, accountId: string): Promise<Record<string, string>> {
  const db = database.db;
  const tables = rowsOf(
    // A partition's rows are its parent's (usage_events by month): read once, through the parent, whatever partitions exist.
    await db.execute(sql`select table_name from information_schema.columns where table_schema = 'public' and column_name = 'account_id'
      and table_name not in (select c.relname from pg_class c where c.relispartition and c.relnamespace = 'public'::regnamespace) order by table_name`),
  ).map((r) => String(r.table_name));
  const out: Record<string, string> = {};
  for (const table of tables) {
    const [row] = rowsOf(
      await db.execute(sql`select count(*)::text as n, coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as digest from ${sql.identifier(table)} t where t.account_id = ${accountId}::uuid`),
    );
    out[table] = `${row?.n}:${row?.digest}`;
  }
  return out;
}
