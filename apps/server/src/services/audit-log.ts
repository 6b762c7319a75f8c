import { and, eq, sql, type SQL } from "drizzle-orm";
import { auditLog, type Executor } from "@seatdesk/db";
import { decodeCursor, encodeCursor } from "./cursor";

export interface AuditFilters {
  profileId?: string | undefined;
  action?: string | undefined;
  targetId?: string | undefined;
  actorId?: string | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: { type: string; id: string | null; label: string };
  action: string;
  targetType: string;
  targetId: string | null;
  profileId: string | null;
  before: unknown;
  after: unknown;
}

/**
 * Keyset cursor: the last row's `at` as PostgreSQL prints it (microseconds survive; a JS Date would cut them to
 * milliseconds and skip or repeat rows written in the same millisecond) and its id.
 */
export const decodeAuditCursor = (cursor: string) => decodeCursor(cursor, (at) => !Number.isNaN(Date.parse(at)));

/** The account's audit entries, newest first, keyset on (at desc, id desc) so a page never rescans what came before it. */
export async function listAudit(
  db: Executor,
  accountId: string,
  filters: AuditFilters,
  page: { after: [string, string] | null; limit: number },
): Promise<{ entries: AuditRow[]; nextCursor: string | null }> {
  const conditions: (SQL | undefined)[] = [
    eq(auditLog.accountId, accountId),
    filters.profileId ? eq(auditLog.profileId, filters.profileId) : undefined,
    filters.action ? eq(auditLog.action, filters.action) : undefined,
    filters.targetId ? eq(auditLog.targetId, filters.targetId) : undefined,
    filters.actorId ? eq(auditLog.actorId, filters.actorId) : undefined,
    filters.from ? sql`${auditLog.at} >= ${filters.from.toISOString()}::timestamptz` : undefined,
    filters.to ? sql`${auditLog.at} < ${filters.to.toISOString()}::timestamptz` : undefined,
    page.after ? sql`(${auditLog.at}, ${auditLog.id}) < (${page.after[0]}::timestamptz, ${page.after[1]}::uuid)` : undefined,
  ];
  const rows = await db
    .select({ row: auditLog, atText: sql<string>`${auditLog.at}::text` })
    .from(auditLog)
    .where(and(...conditions))
    // "nulls last" matches audit_log_at_idx (account_id, at desc nulls last, id): without it PostgreSQL cannot read
    // the index in order and sorts the whole account's log for every page. The id tie-break is a cheap incremental sort.
    .orderBy(sql`${auditLog.at} desc nulls last`, sql`${auditLog.id} desc`)
    .limit(page.limit + 1);
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    entries: shown.map(({ row: r }) => ({
      id: r.id,
      at: r.at,
      actor: { type: r.actorType, id: r.actorId, label: r.actorLabel },
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      profileId: r.profileId,
      before: r.before,
      after: r.after,
    })),
    nextCursor: rows.length > page.limit && last ? encodeCursor(last.atText, last.row.id) : null,
  };
}
