import { and, asc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { allowanceOf, inForce, ledgerFor, periodOf, type Catalog, type Subscription, type SubscriptionStatus, type TierId } from "@seatdesk/domain";
import { directoryUsers, rowsOf, subscriptionMonths, subscriptions, type Executor } from "@seatdesk/db";
import { statusFilter, tierInForce, type UserListStatus } from "./effective-sql";
import { rowToLedger } from "./ledgers";
import { toDomain } from "./reconcile";

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

type Cover = { tier: TierId; groupId: string | null; groupName: string | null };
type PageRow = {
  user: typeof directoryUsers.$inferSelect;
  sub: typeof subscriptions.$inferSelect | null;
  ledger: typeof subscriptionMonths.$inferSelect | null;
  /** json from the database: postgres.js parses it, PGlite too; a string is parsed here. */
  covers: Cover[] | string;
};

/** Searches shorter than this cannot use the trigram index; they walk the name index like a plain page. */
const trigramMinLength = 3;
/** A search first walks this many users in name order from the cursor before turning to the trigram index. */
export const searchWalkBudget = 2_000;

/**
 * The Users tab: every directory user of the account with their subscription in this profile, in
 * name order, `limit` at a time (keyset on display_name, id), with this month's ledger.
 *
 * A plain page walks directory_users_name_idx from the cursor. A search is answered by searchPageIds
 * (bounded either way), and the page's rows are then read by id.
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
  const period = periodOf(params.now);
  const search = params.search?.trim().toLowerCase() ?? "";
  const pattern = `%${likeEscape(search)}%`;
  const filters: SQL[] = [];
  if (params.status) filters.push(statusFilter(params.status, params.now));
  if (params.tier) filters.push(sql`${subscriptions.userId} is not null and ${statusFilter("subscribed", params.now)} and ${tierInForce(params.now)} = ${params.tier}`);
  if (params.after) filters.push(sql`(${directoryUsers.displayName}, ${directoryUsers.id}) > (${params.after[0]}, ${params.after[1]}::uuid)`);
  const subJoin = and(eq(subscriptions.accountId, directoryUsers.accountId), eq(subscriptions.profileId, params.profileId), eq(subscriptions.userId, directoryUsers.id));
  const ledgerJoin = and(
    eq(subscriptionMonths.accountId, directoryUsers.accountId),
    eq(subscriptionMonths.profileId, params.profileId),
    eq(subscriptionMonths.period, period.id),
    eq(subscriptionMonths.userId, directoryUsers.id),
  );
  // Each row's covering assignments (direct, and each subscribed group with its name), in the same statement.
  const covers = sql<Cover[] | string>`(
    select coalesce(json_agg(json_build_object('tier', c.tier, 'groupId', c.group_id, 'groupName', c.group_name)), '[]') from (
      select a.tier, null::uuid as group_id, null::text as group_name from assignments a
      where a.account_id = ${directoryUsers.accountId} and a.profile_id = ${params.profileId}::uuid and a.user_id = ${directoryUsers.id}
      union all
      select a.tier, g.id, g.display_name from group_members gm
      join assignments a on a.account_id = gm.account_id and a.profile_id = ${params.profileId}::uuid and a.group_id = gm.group_id
      join directory_groups g on g.account_id = gm.account_id and g.id = gm.group_id
      where gm.account_id = ${directoryUsers.accountId} and gm.user_id = ${directoryUsers.id}
    ) c)`;
  const select = db
    .select({ user: directoryUsers, sub: subscriptions, ledger: subscriptionMonths, covers })
    .from(directoryUsers)
    .leftJoin(subscriptions, subJoin)
    .leftJoin(subscriptionMonths, ledgerJoin);

  let rows: PageRow[];
  if (search.length >= trigramMinLength) {
    const ids = await searchPageIds(db, { ...params, pattern, filters, subJoin });
    const order = new Map(ids.map((id, i) => [id, i]));
    rows = ids.length
      ? (await select.where(and(eq(directoryUsers.accountId, params.accountId), inArray(directoryUsers.id, ids)))).sort(
          (a, b) => order.get(a.user.id)! - order.get(b.user.id)!,
        )
      : [];
  } else {
    const conditions: SQL[] = [eq(directoryUsers.accountId, params.accountId), isNull(directoryUsers.deletedAt), ...filters];
    if (search) conditions.push(sql`lower(${directoryUsers.displayName} || ' ' || ${directoryUsers.email}) like ${pattern}`);
    rows = await select
      .where(and(...conditions))
      .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id))
      .limit(params.limit + 1);
  }

  const pageRows = rows.slice(0, params.limit);
  const page = pageRows.map(({ user, sub, ledger: storedLedger, covers }): UsersTabRow => {
    const stored: Subscription | null = sub ? toDomain(sub) : null;
    const current: Subscription | null = stored ? inForce(stored, params.now) : null;
    const userCovers: Cover[] = typeof covers === "string" ? (JSON.parse(covers) as Cover[]) : covers;
    const ledger = current ? ledgerFor(period, stored, storedLedger ? rowToLedger(storedLedger) : null) : null;
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
        groups: userCovers.flatMap((c) => (c.groupId ? [{ groupId: c.groupId, displayName: c.groupName ?? "", tier: c.tier }] : [])),
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

/**
 * The ids of one page of a search, in name order. A fragment that many people match ("son") fills a
 * page within a short walk of the name index; a rare one ("99123") would make that walk read the whole
 * directory, while the trigram index finds its few matches at once but must sort all matches of a common
 * fragment. So: walk at most searchWalkBudget users from the cursor; if the page is not full by then,
 * continue after the walked range with the trigram index's matches (a MATERIALIZED CTE, so the planner
 * cannot fold it back into a walk). Both steps are bounded whatever the fragment.
 */
async function searchPageIds(
  db: Executor,
  p: { accountId: string; after?: [string, string] | null; limit: number; pattern: string; filters: SQL[]; subJoin: SQL | undefined },
): Promise<string[]> {
  const want = p.limit + 1;
  const after = (key: [string, string] | null | undefined) => (key ? sql`and (${directoryUsers.displayName}, ${directoryUsers.id}) > (${key[0]}, ${key[1]}::uuid)` : sql``);
  const filters = p.filters.filter((f) => f !== undefined);
  const extra = filters.length ? sql`and ${sql.join(filters, sql` and `)}` : sql``;
  const matchesFrom = (source: SQL) => sql`
    select ${directoryUsers.id} as id, ${directoryUsers.displayName} as name from ${source}
    left join ${subscriptions} on ${p.subJoin}
    where ${directoryUsers.accountId} = ${p.accountId}::uuid and ${directoryUsers.deletedAt} is null
      and lower(${directoryUsers.displayName} || ' ' || ${directoryUsers.email}) like ${p.pattern} ${extra}`;

  // A walk of at most searchWalkBudget users from the cursor: the inner ORDER BY ... LIMIT can only be
  // served by the name index, so the LIKE filters those rows and nothing else.
  const walked = rowsOf<{ id: string; walked: string | number }>(
    await db.execute(sql`
      select ${directoryUsers.id} as id, ${directoryUsers}.walked from (
        select *, count(*) over () as walked from (
          select id, account_id, display_name, email, deleted_at from ${directoryUsers}
          where ${directoryUsers.accountId} = ${p.accountId}::uuid and ${directoryUsers.deletedAt} is null ${after(p.after)}
          order by ${directoryUsers.displayName}, ${directoryUsers.id} limit ${searchWalkBudget}
        ) as bounded
      ) as ${directoryUsers}
      left join ${subscriptions} on ${p.subJoin}
      where lower(${directoryUsers.displayName} || ' ' || ${directoryUsers.email}) like ${p.pattern} ${extra}
      order by ${directoryUsers.displayName}, ${directoryUsers.id} limit ${want}`),
  );
  if (walked.length === want) return walked.map((r) => r.id);
  if (walked.length > 0 && Number(walked[0]!.walked) < searchWalkBudget) return walked.map((r) => r.id);

  // The page is not full: find where the walk stopped, and continue after it through the trigram index.
  const [bound] = rowsOf<{ name: string; id: string }>(
    await db.execute(sql`
      select ${directoryUsers.displayName} as name, ${directoryUsers.id} as id from ${directoryUsers}
      where ${directoryUsers.accountId} = ${p.accountId}::uuid and ${directoryUsers.deletedAt} is null ${after(p.after)}
      order by ${directoryUsers.displayName}, ${directoryUsers.id} offset ${searchWalkBudget - 1} limit 1`),
  );
  if (!bound) return walked.map((r) => r.id);

  const rest = rowsOf<{ id: string }>(
    await db.execute(sql`
      with hits as materialized (
        select id from ${directoryUsers}
        where ${directoryUsers.accountId} = ${p.accountId}::uuid and lower(${directoryUsers.displayName} || ' ' || ${directoryUsers.email}) like ${p.pattern}
      )
      ${matchesFrom(sql`hits join ${directoryUsers} on ${directoryUsers.accountId} = ${p.accountId}::uuid and ${directoryUsers.id} = hits.id`)}
        ${after([bound.name, bound.id])}
      order by ${directoryUsers.displayName}, ${directoryUsers.id} limit ${want - walked.length}`),
  ).map((r) => r.id);
  return [...walked.map((r) => r.id), ...rest];
}
