import { sql, type SQL } from "drizzle-orm";
import { allowanceOf, inForce, ledgerFor, periodOf, usedOf, type Catalog, type Period, type SubscriptionStatus, type TierId } from "@seatdesk/domain";
import {
  changeScheduledAt,
  ledgerOf,
  runPrepared,
  subscriptionOf,
  tierInForce,
  userListStatusFilter,
  uuidArray,
  type Executor,
  type MaybeRawSubscriptionRow,
  type RawLedgerRow,
  type UserListStatus,
} from "@seatdesk/db";
import type { Wire } from "../wire";
import { encodeCursor } from "./cursor";
import type { DirectorySearch } from "./directory-search";


export interface UsersTabRow {
  userId: string;
  displayName: string;
  email: string;
  /** false: set inactive by the identity provider. */
  directoryActive: boolean;
  /** null: no current subscription in this profile (none, or one that has ended: see `ended`). */
  tier: TierId | null;
  status: SubscriptionStatus | null;
  scheduledTier: TierId | null;
  scheduledAt: Date | null;
  accessEndsAt: Date | null;
  lastActiveAt: Date | null;
  /**
   * A subscription that has ended (access over; Canceled, not subscribed again since) is history, kept and
   * shown (edge case 13): the tier held and when access ended. null: none, or a current one.
   */
  ended: { tier: TierId; at: Date } | null;
  /** Where the tier comes from: the user's own assignment and each subscribed group that covers them. */
  source: { direct: TierId | null; groups: { groupId: string; displayName: string; tier: TierId }[] };
  /** This month's credits, in centicredits; null without a current subscription. */
  usage: { allowanceCc: number; usedCc: number; includedCc: number; overageCc: number; unbilledCc: number } | null;
}

export interface UsersTabPage {
  rows: UsersTabRow[];
  nextCursor: string | null;
}

/** Escapes LIKE's wildcards so a search for "50%" finds "50%". */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

type Cover = { tier: TierId; groupId: string | null; groupName: string | null };

/**
 * One row of the page statement, as the drivers return it (timestamps as strings or Dates, bigints as strings
 * or numbers): the user, their subscription (left joined: null columns for none) and this month's ledger.
 */
type PageRow = MaybeRawSubscriptionRow &
  RawLedgerRow & {
    id: string;
    display_name: string;
    email: string;
    active: boolean;
    has_ledger: boolean;
    /** json: postgres.js and PGlite parse it; a string is parsed here. */
    covers: Cover[] | string;
  };

/** Searches shorter than this cannot use the trigram index; they walk the name index like a plain page. */
const trigramMinLength = 3;
/**
 * A row count written into a statement's text rather than passed as a parameter (it is a validated
 * integer, and the statement's name carries it). PostgreSQL plans a prepared statement once only if its
 * generic plan costs about what the custom ones do; with `limit $n` the generic plan assumes a tenth of
 * the directory and loses, so every page was planned again (bench:console, runs taken in turn on one
 * machine: 13% to 35% more pages a second without it).
 */
const limitOf = (n: number) => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a row count: ${n}`);
  return sql.raw(String(n));
};
/** A search first walks this many users in name order from the cursor before turning to the trigram index. */
export const searchWalkBudget = 500;
/** The cursor of the first page: every (display_name, id) sorts after it. */
const start: [string, string] = ["", "00000000-0000-0000-0000-000000000000"];

/** The Users tab's filters, as the list and its count both take them. */
export interface UsersTabFilters {
  accountId: string;
  profileId: string;
  search?: string | undefined;
  status?: UserListStatus | undefined;
  tier?: TierId | undefined;
  /** Only users with overage this month (true). */
  overage?: boolean | undefined;
  /** Only users with a change scheduled for the 1st (true). */
  scheduled?: boolean | undefined;
  now: Date;
}

/** A directory user's name or e-mail contains the (escaped, lower-cased) search: `%fragment%`. */
const searchMatches = (pattern: string) => sql`directory_users.search_text like ${pattern}`;

/** Each directory user's subscription in this profile, if any (the filters below read it). */
const subscriptionJoin = (profileId: string) => sql`left join subscriptions on subscriptions.account_id = directory_users.account_id
    and subscriptions.profile_id = ${profileId}::uuid and subscriptions.user_id = directory_users.id`;

/**
 * The conditions of the status, tier, overage and scheduled filters on a `directory_users` row joined to its
 * subscription (subscriptionJoin): the one home of these filters, for the page and for the count.
 */
function filtersOf(params: UsersTabFilters): SQL[] {
  const filters: SQL[] = [];
  if (params.status) filters.push(userListStatusFilter(params.status, params.now));
  if (params.tier) filters.push(sql`${userListStatusFilter("subscribed", params.now)} and ${tierInForce(params.now)} = ${params.tier}`);
  if (params.overage) {
    filters.push(sql`exists (select 1 from subscription_months m where m.account_id = directory_users.account_id and m.profile_id = ${params.profileId}::uuid
      and m.period = ${periodOf(params.now).id} and m.user_id = directory_users.id and m.overage_cc > 0)`);
  }
  if (params.scheduled) filters.push(changeScheduledAt(params.now));
  return filters;
}

/**
 * How many users the Users tab lists with these filters and search: exactly the rows its pages walk through.
 * A separate statement from the page's, asked once per filter change, so paging stays one keyset read; the
 * subscription is joined only when a filter reads it, and a search uses the trigram index.
 */
export async function countUsersTab(db: Executor, params: UsersTabFilters): Promise<number> {
  const search = params.search?.trim().toLowerCase() ?? "";
  const filters = filtersOf(params);
  if (search) filters.push(searchMatches(`%${likeEscape(search)}%`));
  const join = filters.length > (search ? 1 : 0) ? subscriptionJoin(params.profileId) : sql``;
  const shape = [params.status ?? "", params.tier ? "tier" : "", search ? "like" : "", params.overage ? "over" : "", params.scheduled ? "sched" : ""].join(".");
  const [row] = await runPrepared<{ n: string | number }>(
    db,
    `users_tab_count.${shape}`,
    sql`select count(*) as n from directory_users ${join}
      where directory_users.account_id = ${params.accountId}::uuid and directory_users.deleted_at is null
      ${filters.length ? sql`and ${sql.join(filters, sql` and `)}` : sql``}`,
  );
  return Number(row?.n ?? 0);
}

/**
 * The Users tab: every directory user of the account with their subscription in this profile, in
 * name order, `limit` at a time (keyset on display_name, id), with this month's ledger and where the
 * tier comes from.
 *
 * Each page is one prepared statement (its text depends only on which filters are set), so a page
 * costs one round trip and no planning. A plain page walks directory_users_name_idx from the cursor; a
 * search is bounded either way (see searchStatement), or, with the in-memory index (directory-search.ts),
 * reads just the users the index names (fromIndex).
 */
export async function listUsersTab(
  db: Executor,
  catalog: Catalog,
  params: UsersTabFilters & {
    /** Name order, A to Z (default) or Z to A. */
    order?: "asc" | "desc" | undefined;
    /** One user's row only (the user's page). */
    userId?: string | undefined;
    after?: [string, string] | null;
    limit: number;
    /** The in-memory search index; without it (or when it cannot answer) a search runs in SQL. */
    searchIndex?: DirectorySearch | undefined;
  },
): Promise<Wire<UsersTabPage>> {
  const period = periodOf(params.now);
  const search = params.search?.trim().toLowerCase() ?? "";
  const pattern = `%${likeEscape(search)}%`;
  const desc = params.order === "desc";
  const keyset: Keyset = { cmp: sql.raw(desc ? "<" : ">"), dir: sql.raw(desc ? "desc" : "asc"), back: sql.raw(desc ? "asc" : "desc") };
  // The first page has no cursor; Z to A starts where no name sorts after it.
  const after = params.after ?? (desc ? null : start);
  const want = params.limit + 1;
  const filters = filtersOf(params);
  const shortSearch = search.length > 0 && search.length < trigramMinLength;
  if (shortSearch) filters.push(searchMatches(pattern));
  if (params.userId) filters.push(sql`directory_users.id = ${params.userId}::uuid`);
  const extra = filters.length ? sql`and ${sql.join(filters, sql` and `)}` : sql``;
  const subJoin = subscriptionJoin(params.profileId);
  const ledgerJoin = sql`left join subscription_months on subscription_months.account_id = directory_users.account_id
    and subscription_months.profile_id = ${params.profileId}::uuid and subscription_months.period = ${period.id}
    and subscription_months.user_id = directory_users.id`;
  // Each row's covering assignments (direct, and each subscribed group with its name), in the same statement.
  const columns = sql`directory_users.id, directory_users.display_name, directory_users.email, directory_users.active,
    subscriptions.tier, subscriptions.status, subscriptions.scheduled_tier, subscriptions.scheduled_at,
    subscriptions.access_ends_at, subscriptions.activated_at, subscriptions.last_active_at,
    subscription_months.user_id is not null as has_ledger, subscription_months.fee_tier, subscription_months.active_at_start,
    subscription_months.first_activated_at, subscription_months.first_month_prorated, subscription_months.included_cc, subscription_months.overage_cc, subscription_months.unbilled_cc,
    (select coalesce(json_agg(json_build_object('tier', c.tier, 'groupId', c.group_id, 'groupName', c.group_name)), '[]') from (
      select a.tier, null::uuid as group_id, null::text as group_name from assignments a
      where a.account_id = directory_users.account_id and a.profile_id = ${params.profileId}::uuid and a.user_id = directory_users.id
      union all
      select a.tier, g.id, g.display_name from group_members gm
      join assignments a on a.account_id = gm.account_id and a.profile_id = ${params.profileId}::uuid and a.group_id = gm.group_id
      join directory_groups g on g.account_id = gm.account_id and g.id = gm.group_id
      where gm.account_id = directory_users.account_id and gm.user_id = directory_users.id
    ) c) as covers`;

  const shape = [params.status ?? "", params.tier ? "tier" : "", shortSearch ? "like" : "", params.overage ? "over" : "", params.scheduled ? "sched" : "", params.userId ? "user" : "", desc ? "desc" : "", after ? "" : "first"].join(".");
  const from = (table: SQL) => (after ? sql`and (${table}.display_name, ${table}.id) ${keyset.cmp} (${after[0]}::text, ${after[1]}::uuid)` : sql``);
  // A plain search (no other filter) goes through the in-memory index when there is one that can answer.
  const plainSearch = search.length > 0 && !params.status && !params.tier && !params.overage && !params.scheduled && !params.userId;
  const indexed =
    plainSearch && params.searchIndex
      ? await fromIndex(db, params.searchIndex, { accountId: params.accountId, search, after: params.after ?? null, desc, want, keyset, subJoin, ledgerJoin, columns })
      : null;
  const rows =
    indexed ??
    (search.length >= trigramMinLength
      ? await runPrepared<PageRow>(
          db,
          `users_tab_search.${shape}.${want}`,
          searchStatement({ accountId: params.accountId, from, keyset, want, pattern, filtered: filters.length > 0, extra, subJoin, ledgerJoin, columns }),
        )
      : await runPrepared<PageRow>(
          db,
          `users_tab_page.${shape}.${want}`,
          sql`select ${columns} from directory_users ${subJoin} ${ledgerJoin}
            where directory_users.account_id = ${params.accountId}::uuid and directory_users.deleted_at is null ${from(sql.raw("directory_users"))} ${extra}
            order by directory_users.display_name ${keyset.dir}, directory_users.id ${keyset.dir} limit ${limitOf(want)}`,
        ));

  const page = rows.slice(0, params.limit).map((row) => toRow(row, catalog, period, params.now));
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > params.limit && last ? encodeCursor(last.displayName, last.userId) : null };
}

/**
 * A search page through the in-memory index: it names the matching users, one statement reads their rows
 * together with the account's directory version. Null (search in SQL instead) when the index has nothing
 * to say for this account or cursor yet, or was built at another version than the rows read now.
 */
async function fromIndex(
  db: Executor,
  index: DirectorySearch,
  p: { accountId: string; search: string; after: [string, string] | null; desc: boolean; want: number; keyset: Keyset; subJoin: SQL; ledgerJoin: SQL; columns: SQL },
): Promise<PageRow[] | null> {
  const hit = index.find(p.accountId, p.search, p.after, p.desc, p.want);
  if (!hit) {
    index.counts.fromSql++;
    return null;
  }
  const rows = await runPrepared<PageRow & { dir_version: string | number }>(
    db,
    `users_tab_ids.${p.desc ? "desc" : ""}`,
    sql`select v.dir_version, page.* from (select coalesce((select version from directory_versions where account_id = ${p.accountId}::uuid), 0) as dir_version) as v
      left join lateral (
        select ${p.columns} from directory_users ${p.subJoin} ${p.ledgerJoin}
        where directory_users.account_id = ${p.accountId}::uuid and directory_users.id = any(${uuidArray(hit.ids)})
      ) as page on true
      order by page.display_name ${p.keyset.dir}, page.id ${p.keyset.dir}`,
  );
  const version = Number(rows[0]?.dir_version ?? -1);
  if (version !== hit.version) {
    index.outdated(p.accountId, hit.version);
    index.counts.fromSql++;
    return null;
  }
  index.counts.fromIndex++;
  return rows.filter((row) => row.id !== null);
}

/** A page row as the API answers it: the subscription as in force now, this month's credits. */
function toRow(row: PageRow, catalog: Catalog, period: Period, now: Date): Wire<UsersTabRow> {
  const stored = subscriptionOf(row);
  const current = stored ? inForce(stored, now) : null;
  const covers: Cover[] = typeof row.covers === "string" ? (JSON.parse(row.covers) as Cover[]) : row.covers;
  const storedLedger = row.has_ledger ? ledgerOf(row, period.id) : null;
  const ledger = current ? ledgerFor(period, stored, storedLedger) : null;
  return {
    userId: row.id,
    displayName: row.display_name,
    email: row.email,
    directoryActive: row.active,
    tier: current?.tier ?? null,
    status: current?.status ?? null,
    scheduledTier: current?.scheduledTier ?? null,
    scheduledAt: current?.scheduledAt?.toISOString() ?? null,
    accessEndsAt: current?.accessEndsAt?.toISOString() ?? null,
    lastActiveAt: current?.lastActiveAt?.toISOString() ?? null,
    ended: stored && !current && stored.accessEndsAt ? { tier: stored.tier, at: stored.accessEndsAt.toISOString() } : null,
    source: {
      direct: covers.find((c) => c.groupId === null)?.tier ?? null,
      groups: covers.flatMap((c) => (c.groupId ? [{ groupId: c.groupId, displayName: c.groupName ?? "", tier: c.tier }] : [])),
    },
    usage:
      current && ledger
        ? {
            allowanceCc: allowanceOf(catalog, ledger, current.tier),
            usedCc: usedOf(ledger),
            includedCc: ledger.includedCc,
            overageCc: ledger.overageCc,
            unbilledCc: ledger.unbilledCc,
          }
        : null,
  };
}

/**
 * One page of a search, in name order, in one statement. A fragment that many people match ("son")
 * fills a page within a short walk of the name index; a rare one ("99123") would make that walk read
 * the whole directory, while the trigram index finds its few matches at once but must sort all matches
 * of a common fragment. So: walk at most searchWalkBudget users from the cursor (`bounded`); only if the
 * page is not full by then and the walk did not reach the end, continue after the walked range with the
 * trigram index's matches (`hits`, a MATERIALIZED CTE so the planner cannot fold it back into a walk;
 * it carries the names, so the matches are sorted without reading their rows again).
 * PostgreSQL evaluates `rest`'s uncorrelated conditions once, before reading `hits`: when the walk
 * filled the page, the trigram index is never touched.
 */
/** Which way a page reads the name index: `cmp` the cursor comparison, `dir` the order, `back` the other way. */
interface Keyset {
  cmp: SQL;
  dir: SQL;
  back: SQL;
}

function searchStatement(p: {
  accountId: string;
  /** The cursor condition on a table's (display_name, id), empty on the first page. */
  from: (table: SQL) => SQL;
  keyset: Keyset;
  want: number;
  pattern: string;
  filtered: boolean;
  extra: SQL;
  subJoin: SQL;
  ledgerJoin: SQL;
  columns: SQL;
}): SQL {
  const matches = searchMatches(p.pattern);
  // The subscription is joined while matching only when a filter reads it.
  const filterJoin = p.filtered ? p.subJoin : sql``;
  return sql`
    with bounded as materialized (
      select account_id, id, display_name, search_text from directory_users
      where account_id = ${p.accountId}::uuid and deleted_at is null ${p.from(sql.raw("directory_users"))}
      order by display_name ${p.keyset.dir}, id ${p.keyset.dir} limit ${limitOf(searchWalkBudget)}
    ), walked as materialized (
      select directory_users.id, directory_users.display_name from bounded as directory_users ${filterJoin}
      where ${matches} ${p.extra}
      order by directory_users.display_name ${p.keyset.dir}, directory_users.id ${p.keyset.dir} limit ${limitOf(p.want)}
    ), hits as materialized (
      select account_id, id, display_name from directory_users
      where account_id = ${p.accountId}::uuid and deleted_at is null and ${matches}
    ), rest as (
      select directory_users.id, directory_users.display_name from hits as directory_users ${filterJoin}
      where (select count(*) from walked) < ${limitOf(p.want)} and (select count(*) from bounded) = ${limitOf(searchWalkBudget)}
        and (directory_users.display_name, directory_users.id) ${p.keyset.cmp} (select display_name, id from bounded order by display_name ${p.keyset.back}, id ${p.keyset.back} limit 1) ${p.extra}
      order by directory_users.display_name ${p.keyset.dir}, directory_users.id ${p.keyset.dir} limit ${limitOf(p.want)}
    ), found as (
      select id from walked union all select id from rest
    )
    select ${p.columns} from found
    join directory_users on directory_users.account_id = ${p.accountId}::uuid and directory_users.id = found.id ${p.subJoin} ${p.ledgerJoin}
    order by directory_users.display_name ${p.keyset.dir}, directory_users.id ${p.keyset.dir} limit ${limitOf(p.want)}`;
}
