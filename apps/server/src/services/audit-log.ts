import { and, eq, sql, type Column, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { accounts, apiKeys, auditLog, consoleAdmins, directoryGroups, directoryUsers, profiles, scimTokens, webhookEndpoints, type Executor } from "@seatdesk/db";
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
  target: AuditTarget;
  /**
   * The group an entry about a user names in its before/after (`groupId`: a membership change that moved their
   * subscription), with its current name; name null when the group was deleted since. Absent when none is named.
   */
  group?: { id: string; name: string | null };
  profileId: string | null;
  before: unknown;
  after: unknown;
}

/**
 * What an entry's target is called now. `name` is the target's current name (a user's display name, an admin's
 * name, a key's name, a webhook endpoint's URL, an invoice's period); `detail` a second line where one helps (a user's user name, an admin's
 * e-mail, a profile's region). A target deleted since has `deleted: true` and, as `name`, the name the entry itself
 * recorded when it has one (its before or after), else null: the id stays the target's one stable reference.
 */
export interface AuditTarget {
  name: string | null;
  detail: string | null;
  deleted: boolean;
}

/** Target types whose id names a row this account owns; any other type (clock, directory) has no name to look up. */
const lookedUp = new Set(["user", "group", "admin", "profile", "api-key", "scim-token", "webhook-endpoint", "account"]);

/**
 * The entry's target id as a uuid, or null when it is not one: a lookup never casts an id the log holds as text
 * (an invoice's period, a malformed id) and so never fails the page.
 */
const targetUuid = sql`(case when ${auditLog.targetId} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then ${auditLog.targetId}::uuid end)`;

/** A lookup of one target type: always within the entry's own account, so another account's id never gives a name. */
const targetIs = (type: string, table: { accountId: Column; id: Column }) =>
  and(sql`${auditLog.targetType} = ${type}`, eq(table.accountId, auditLog.accountId), eq(table.id, targetUuid));

/** A group named by the entry's after (else before) `groupId`, read by its primary key like the targets. */
const relatedGroup = alias(directoryGroups, "related_group");
const relatedGroupId = sql<string | null>`coalesce(${auditLog.after} ->> 'groupId', ${auditLog.before} ->> 'groupId')`;
const relatedGroupUuid = sql`(case when ${relatedGroupId} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then (${relatedGroupId})::uuid end)`;

/** The name an entry recorded of its own target, for a target deleted since. */
function recordedName(before: unknown, after: unknown): string | null {
  for (const side of [after, before]) {
    if (side && typeof side === "object") {
      const v = side as Record<string, unknown>;
      for (const key of ["displayName", "name", "url"]) if (typeof v[key] === "string" && v[key]) return v[key];
    }
  }
  return null;
}

function targetOf(type: string, id: string | null, name: string | null, detail: string | null, before: unknown, after: unknown): AuditTarget {
  if (type === "invoice") return { name: id, detail: null, deleted: false };
  if (name !== null) return { name, detail, deleted: false };
  if (id === null || !lookedUp.has(type)) return { name: null, detail: null, deleted: false };
  return { name: recordedName(before, after), detail: null, deleted: true };
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
  // One statement: each target type's row is found by its primary key (account_id, id) beside the page's own
  // index scan, so names cost a probe per shown entry, never a scan.
  const rows = await db
    .select({
      row: auditLog,
      atText: sql<string>`${auditLog.at}::text`,
      targetName: sql<string | null>`coalesce(${directoryUsers.displayName}, ${directoryGroups.displayName}, ${consoleAdmins.name}, ${profiles.name}, ${apiKeys.name}, ${scimTokens.name}, ${webhookEndpoints.url}, ${accounts.name})`,
      targetDetail: sql<string | null>`coalesce(${directoryUsers.userName}, ${consoleAdmins.email}, ${profiles.region}, nullif(${webhookEndpoints.description}, ''))`,
      groupId: relatedGroupId,
      groupName: relatedGroup.displayName,
    })
    .from(auditLog)
    .leftJoin(directoryUsers, targetIs("user", directoryUsers))
    .leftJoin(directoryGroups, targetIs("group", directoryGroups))
    .leftJoin(consoleAdmins, targetIs("admin", consoleAdmins))
    .leftJoin(profiles, targetIs("profile", profiles))
    .leftJoin(apiKeys, targetIs("api-key", apiKeys))
    .leftJoin(scimTokens, targetIs("scim-token", scimTokens))
    .leftJoin(webhookEndpoints, targetIs("webhook-endpoint", webhookEndpoints))
    .leftJoin(accounts, and(sql`${auditLog.targetType} = 'account'`, eq(accounts.id, auditLog.accountId), eq(accounts.id, targetUuid)))
    .leftJoin(relatedGroup, and(eq(relatedGroup.accountId, auditLog.accountId), eq(relatedGroup.id, relatedGroupUuid)))
    .where(and(...conditions))
    // "nulls last" matches audit_log_at_idx (account_id, at desc nulls last, id): without it PostgreSQL cannot read
    // the index in order and sorts the whole account's log for every page. The id tie-break is a cheap incremental sort.
    .orderBy(sql`${auditLog.at} desc nulls last`, sql`${auditLog.id} desc`)
    .limit(page.limit + 1);
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    entries: shown.map(({ row: r, targetName, targetDetail, groupId, groupName }) => ({
      id: r.id,
      at: r.at,
      actor: { type: r.actorType, id: r.actorId, label: r.actorLabel },
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      target: targetOf(r.targetType, r.targetId, targetName, targetDetail, r.before, r.after),
      ...(groupId ? { group: { id: groupId, name: groupName } } : {}),
      profileId: r.profileId,
      before: r.before,
      after: r.after,
    })),
    nextCursor: rows.length > page.limit && last ? encodeCursor(last.atText, last.row.id) : null,
  };
}
