import { and, asc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { allowanceOf, inForce, ledgerFor, periodOf, type Catalog, type Subscription, type SubscriptionStatus, type TierId } from "@seatdesk/domain";
import { directoryGroups, directoryUsers, subscriptions, type Executor } from "@seatdesk/db";
import { statusFilter, tierInForce, type UserListStatus } from "./effective-sql";
import { loadLedgers } from "./ledgers";
import { loadCovers, toDomain } from "./reconcile";

export interface UsersTabRow {
  userId: string;
  displayName: string;
  email: string;
  /** false: set inactive by the identity provider. */
  directoryActive: boolean;
  /** null: no subscription in this profile. */
  tier: TierId | null;
  status: SubscriptionStatus | null;
  scheduledTier: TierId | null;
  scheduledAt: Date | null;
  accessEndsAt: Date | null;
  lastActiveAt: Date | null;
  /** Where the tier comes from: the user's own assignment and each subscribed group that covers them. */
  source: { direct: TierId | null; groups: { groupId: string; displayName: string; tier: TierId }[] };
  /** This month's credits, in centicredits; null without a current subscription. */
  usage: { allowanceCc: number; usedCc: number; includedCc: number; overageCc: number; unbilledCc: number } | null;
}

export interface UsersTabPage {
  rows: UsersTabRow[];
  nextCursor: string | null;
}

/** Keyset cursor: the (display_name, id) of the last row, so a page never scans what came before it. */
export function encodeCursor(displayName: string, id: string): string {
  return Buffer.from(JSON.stringify([displayName, id])).toString("base64url");
}

export function decodeCursor(cursor: string): [string, string] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // not ours: answered below as a bad cursor
  }
  return null;
}

/** Escapes LIKE's wildcards so a search for "50%" finds "50%". */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The Users tab: every directory user of the account with their subscription in this profile, in
 * name order, `limit` at a time. Uses directory_users_name_idx for paging and the trigram index for search.
 */
export async function listUsersTab(
  db: Executor,
  catalog: Catalog,
  params: {
    accountId: string;
    profileId: string;
    search?: string | undefined;
    status?: UserListStatus | undefined;
    tier?: TierId | undefined;
    after?: [string, string] | null;
    limit: number;
    now: Date;
  },
): Promise<UsersTabPage> {
  const conditions: SQL[] = [eq(directoryUsers.accountId, params.accountId), isNull(directoryUsers.deletedAt)];
  const search = params.search?.trim().toLowerCase();
  if (search) {
    conditions.push(sql`lower(${directoryUsers.displayName} || ' ' || ${directoryUsers.email}) like ${`%${likeEscape(search)}%`}`);
  }
  if (params.status) conditions.push(statusFilter(params.status, params.now));
  if (params.tier) conditions.push(sql`${subscriptions.userId} is not null and ${statusFilter("subscribed", params.now)} and ${tierInForce(params.now)} = ${params.tier}`);
  if (params.after) {
    conditions.push(sql`(${directoryUsers.displayName}, ${directoryUsers.id}) > (${params.after[0]}, ${params.after[1]}::uuid)`);
  }
  const rows = await db
    .select({ user: directoryUsers, sub: subscriptions })
    .from(directoryUsers)
    .leftJoin(
      subscriptions,
      and(
        eq(subscriptions.accountId, directoryUsers.accountId),
        eq(subscriptions.profileId, params.profileId),
        eq(subscriptions.userId, directoryUsers.id),
      ),
    )
    .where(and(...conditions))
    .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id))
    .limit(params.limit + 1);

  const pageRows = rows.slice(0, params.limit);
  const ids = pageRows.map((r) => r.user.id);
  const profile = { accountId: params.accountId, id: params.profileId, cancelAccess: "end-of-month" as const };
  const period = periodOf(params.now);
  const [{ covers }, ledgers] = await Promise.all([loadCovers(db, profile, ids), loadLedgers(db, params.accountId, params.profileId, period, ids)]);
  const groupNames = await groupNamesOf(db, params.accountId, [...new Set([...covers.values()].flat().flatMap((c) => (c.groupId ? [c.groupId] : [])))]);

  const page = pageRows.map(({ user, sub }): UsersTabRow => {
    const stored: Subscription | null = sub ? toDomain(sub) : null;
    const current: Subscription | null = stored ? inForce(stored, params.now) : null;
    const userCovers = covers.get(user.id) ?? [];
    const ledger = current ? ledgerFor(period, stored, ledgers.get(user.id) ?? null) : null;
    return {
      userId: user.id,
      displayName: user.displayName,
      email: user.email,
      directoryActive: user.active,
      tier: current?.tier ?? null,
      status: current?.status ?? null,
      scheduledTier: current?.scheduledTier ?? null,
      scheduledAt: current?.scheduledAt ?? null,
      accessEndsAt: current?.accessEndsAt ?? null,
      lastActiveAt: current?.lastActiveAt ?? null,
      source: {
        direct: userCovers.find((c) => c.groupId === null)?.tier ?? null,
        groups: userCovers.flatMap((c) => (c.groupId ? [{ groupId: c.groupId, displayName: groupNames.get(c.groupId) ?? "", tier: c.tier }] : [])),
      },
      usage:
        current && ledger
          ? {
              allowanceCc: allowanceOf(catalog, ledger, current.tier),
              usedCc: ledger.includedCc + ledger.overageCc + ledger.unbilledCc,
              includedCc: ledger.includedCc,
              overageCc: ledger.overageCc,
              unbilledCc: ledger.unbilledCc,
            }
          : null,
    };
  });
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > params.limit && last ? encodeCursor(last.displayName, last.userId) : null };
}

async function groupNamesOf(db: Executor, accountId: string, groupIds: string[]): Promise<Map<string, string>> {
  if (groupIds.length === 0) return new Map();
  const rows = await db
    .select({ id: directoryGroups.id, name: directoryGroups.displayName })
    .from(directoryGroups)
    .where(and(eq(directoryGroups.accountId, accountId), inArray(directoryGroups.id, groupIds)));
  return new Map(rows.map((r) => [r.id, r.name]));
}
