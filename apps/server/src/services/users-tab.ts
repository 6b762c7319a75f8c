import { and, asc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { inForce, type Subscription, type SubscriptionStatus, type TierId } from "@seatdesk/domain";
import { directoryUsers, subscriptions, type Executor } from "@seatdesk/db";

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
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The Users tab: every directory user of the account with their subscription in this profile, in
 * name order, `limit` at a time. Uses directory_users_name_idx for paging and the trigram index for search.
 */
export async function listUsersTab(
  db: Executor,
  params: { accountId: string; profileId: string; search?: string | undefined; after?: [string, string] | null; limit: number; now: Date },
): Promise<UsersTabPage> {
  const conditions: SQL[] = [eq(directoryUsers.accountId, params.accountId), isNull(directoryUsers.deletedAt)];
  const search = params.search?.trim().toLowerCase();
  if (search) {
    conditions.push(sql`lower(${directoryUsers.displayName} || ' ' || ${directoryUsers.email}) like ${`%${likeEscape(search)}%`}`);
  }
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

  const page = rows.slice(0, params.limit).map(({ user, sub }): UsersTabRow => {
    const current: Subscription | null = sub ? inForce(sub, params.now) : null;
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
    };
  });
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > params.limit && last ? encodeCursor(last.displayName, last.userId) : null };
}
