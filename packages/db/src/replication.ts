import { sql } from "drizzle-orm";
import type { Executor } from "./connect";
import { rowsOf } from "./rows";

/**
 * Positions in PostgreSQL's write-ahead log ("16/B374D848"), for reading from a streaming replica without
 * losing one's own writes: a write's position on the primary, compared with how far the replica has
 * replayed.
 */
export type Lsn = bigint;

const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The position written as PostgreSQL writes it, or null for anything else (a cookie may hold anything). */
export function parseLsn(text: string): Lsn | null {
  const m = lsnPattern.exec(text.trim());
  return m ? (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`) : null;
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * Where the primary's log ends now: every transaction committed before this call lies at or before it. The
 * insert position, not the write position: with synchronous_commit off a commit record may not be written yet.
 */
export async function currentLsn(db: Executor): Promise<Lsn> {
  const [row] = rowsOf<{ lsn: string }>(await db.execute(sql`select pg_current_wal_insert_lsn()::text as lsn`));
  const lsn = row ? parseLsn(row.lsn) : null;
  if (lsn === null) throw new Error("pg_current_wal_insert_lsn() gave no position");
  return lsn;
}

/**
 * How far a standby has replayed the primary's log; null when the server is not a standby (it is the
 * primary itself, so everything committed is there).
 */
export async function replayedLsn(db: Executor): Promise<Lsn | null> {
  const [row] = rowsOf<{ lsn: string | null }>(await db.execute(sql`select pg_last_wal_replay_lsn()::text as lsn`));
  return row?.lsn ? parseLsn(row.lsn) : null;
}
