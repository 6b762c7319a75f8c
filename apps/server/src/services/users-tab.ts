import { sql, type SQL } from "drizzle-orm";
import {
  allowanceOf,
  inForce,
  lastActiveCutoff,
  ledgerFor,
  periodOf,
  runsOutThisMonthDays,
  usedOf,
  type Catalog,
  type LastActiveFilterKind,
  type Period,
  type SubscriptionStatus,
  type TierId,
} from "@seatdesk/domain";
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
import { encodeSortCursor, type SortAfter, type UsersSort } from "./users-sort";
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
  /**
   * This month's forecast as the daily forecast job last wrote it (issue 15, Forecasts): the burn rate and the
   * UTC days ("YYYY-MM-DD") the allowance runs out and access would stop, with the limit that stops it.
   * null without a current subscription or without a forecast for this month.
   */
  forecast: { burnCcPerDay: number; allowanceRunsOutOn: string | null; accessStopsOn: string | null; stopReason: "allowance" | "cap" | "budget" | null } | null;
}

export interface UsersTabPage {
  rows: UsersTabRow[];
  nextCursor: string | null;
}

/** Escapes LIKE's wildcards so a search for "50%" finds "50%". */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A subscribed group that covers a user, with its name. */
type GroupCover = { tier: TierId; groupId: string; groupName: string };

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
    /** The sort key of a keyed sort as text (an instant with its offset, or a whole number); null: none. */
    sort_key?: string | null;
    f_burn: string | number | null;
    f_runs_out: string | null;
    f_stops: string | null;
    f_reason: "allowance" | "cap" | "budget" | null;
    /** The user's own assignment's tier in this profile (at most one), or null. */
    direct_tier: TierId | null;
    /** json, null for none: postgres.js and PGlite parse it; a string is parsed here. */
    group_covers: GroupCover[] | string | null;
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
  /** Only current subscriptions last active before / within N days, or never active (issue 15, Idle seats). */
  lastActive?: { kind: LastActiveFilterKind; days?: number | undefined } | undefined;
  /** Only current subscriptions whose allowance runs out within this period, by this month's forecast. */
  runsOutThisMonth?: boolean | undefined;
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
  if (params.lastActive) {
    // A seat's activity: only current subscriptions (an ended one is not a seat). The cutoff and which side of
    // it is idle are the domain's (lastActiveCutoff, matchesLastActive; the API tests compare the two).
    const subscribed = userListStatusFilter("subscribed", params.now);
    const { kind, days } = params.lastActive;
    if (kind === "never") filters.push(sql`${subscribed} and subscriptions.last_active_at is null`);
    else {
      const cutoff = lastActiveCutoff(params.now, days ?? Number.NaN).toISOString();
      filters.push(kind === "idle" ? sql`${subscribed} and subscriptions.last_active_at <= ${cutoff}::timestamptz` : sql`${subscribed} and subscriptions.last_active_at > ${cutoff}::timestamptz`);
    }
  }
  if (params.runsOutThisMonth) {
    // The forecast job wrote the run-out day (a plain column of the domain's decision): a forecast of this
    // period has a run-out day only when it falls within the period (schema/forecasts.ts), so "runs out this
    // month" is this period's forecast with a run-out day. No range on the day: with the bounds as parameters
    // a generic plan guesses the range rare, walks seat_forecasts_runs_out_idx and sorts every match by name
    // (bench:console: 160 ms against 3 ms); this way each row is one primary-key probe.
    // Correlated on the subscription's user (the same user), so the forecast is looked up only for the rows
    // that have one: walking the directory in name order, seven in ten rows have none (bench:console).
    filters.push(sql`${userListStatusFilter("subscribed", params.now)} and exists (select 1 from seat_forecasts f where f.account_id = subscriptions.account_id
      and f.profile_id = ${params.profileId}::uuid and f.user_id = subscriptions.user_id and f.period = ${runsOutThisMonthDays(params.now).period}
      and f.allowance_runs_out_on is not null)`);
  }
  return filters;
}

/** The part of a prepared statement's name that says which filters are set (each set filter changes its text). */
function filtersShape(params: UsersTabFilters): string {
  return [params.status ?? "", params.tier ? "tier" : "", params.overage ? "over" : "", params.scheduled ? "sched" : "", params.lastActive?.kind ?? "", params.runsOutThisMonth ? "runs" : ""].join(".");
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
  const shape = [filtersShape(params), search ? "like" : ""].join(".");
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
    /** Name order, A to Z (default) or Z to A; with another sort, that key's order (see users-sort.ts). */
    order?: "asc" | "desc" | undefined;
    /** By name (default), last active, or credits used this month. */
    sort?: UsersSort | undefined;
    /** The cursor of a keyed sort (last active, credits used); `after` is the name sort's. */
    sortAfter?: SortAfter | null;
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
  // This month's ledger and this month's forecast (a forecast of an earlier month is not shown).
  const ledgerOnly = sql`left join subscription_months on subscription_months.account_id = directory_users.account_id
    and subscription_months.profile_id = ${params.profileId}::uuid and subscription_months.period = ${period.id}
    and subscription_months.user_id = directory_users.id`;
  const forecastJoin = sql`left join seat_forecasts on seat_forecasts.account_id = directory_users.account_id
    and seat_forecasts.profile_id = ${params.profileId}::uuid and seat_forecasts.user_id = directory_users.id and seat_forecasts.period = ${period.id}`;
  // The name-order pages read both only for users with a subscription (the row uses them only then, toRow):
  // each is a lateral read behind a one-time filter, so the seven in ten rows of a directory without one skip
  // two index probes (pgbench on the page statement at 100,000 users: 10-45% more pages a second). `limit 1`
  // (at most one row by the primary key) keeps the planner from folding the read back into a plain join.
  // The keyed sorts keep the plain joins above: they walk the ledger or the subscription itself.
  const ledgerJoin = sql`left join lateral (select * from subscription_months sm where subscriptions.user_id is not null
      and sm.account_id = directory_users.account_id and sm.profile_id = ${params.profileId}::uuid and sm.period = ${period.id}
      and sm.user_id = directory_users.id limit 1) as subscription_months on true
    left join lateral (select * from seat_forecasts sf where subscriptions.user_id is not null
      and sf.account_id = directory_users.account_id and sf.profile_id = ${params.profileId}::uuid and sf.user_id = directory_users.id
      and sf.period = ${period.id} limit 1) as seat_forecasts on true`;
  // Each row's covering assignments in the same statement: the user's own (at most one, assignments_user_uq) and
  // each subscribed group with its name, as two plain subqueries (one union aggregated per row cost ~20% more
  // of the page statement in pgbench at 100,000 users).
  const columns = sql`directory_users.id, directory_users.display_name, directory_users.email, directory_users.active,
    subscriptions.tier, subscriptions.status, subscriptions.scheduled_tier, subscriptions.scheduled_at,
    subscriptions.access_ends_at, subscriptions.activated_at, subscriptions.last_active_at,
    subscription_months.user_id is not null as has_ledger, subscription_months.fee_tier, subscription_months.active_at_start,
    subscription_months.first_activated_at, subscription_months.first_month_prorated, subscription_months.included_cc, subscription_months.overage_cc, subscription_months.unbilled_cc,
    seat_forecasts.burn_cc_per_day as f_burn, seat_forecasts.allowance_runs_out_on::text as f_runs_out, seat_forecasts.access_stops_on::text as f_stops,
    seat_forecasts.stop_reason as f_reason,
    (select a.tier from assignments a
      where a.account_id = directory_users.account_id and a.profile_id = ${params.profileId}::uuid and a.user_id = directory_users.id) as direct_tier,
    (select json_agg(json_build_object('tier', a.tier, 'groupId', g.id, 'groupName', g.display_name)) from group_members gm
      join assignments a on a.account_id = gm.account_id and a.profile_id = ${params.profileId}::uuid and a.group_id = gm.group_id
      join directory_groups g on g.account_id = gm.account_id and g.id = gm.group_id
      where gm.account_id = directory_users.account_id and gm.user_id = directory_users.id) as group_covers`;

  if (params.sort && params.sort !== "name") {
    // A keyed sort: a search is one more filter on the walk (the trigram strategies below serve name order).
    if (search) filters.push(searchMatches(pattern));
    const keyed = await keyedRows(db, params.sort, desc, params.sortAfter ?? null, {
      accountId: params.accountId,
      profileId: params.profileId,
      periodId: period.id,
      want,
      filters,
      shape: [filtersShape(params), search ? "like" : "", params.userId ? "user" : ""].join("."),
      ledgerOnly,
      forecastJoin,
      subJoin,
      columns,
      keyNullImpossible: params.sort === "lastActive" ? params.lastActive !== undefined && params.lastActive.kind !== "never" : Boolean(params.overage),
      keyValueImpossible: params.sort === "lastActive" && params.lastActive?.kind === "never",
    });
    const page = keyed.slice(0, params.limit).map((row) => toRow(row, catalog, period, params.now));
    const lastRow = keyed[params.limit - 1];
    return {
      rows: page,
      nextCursor: keyed.length > params.limit && lastRow ? encodeSortCursor(params.sort, desc ? "desc" : "asc", lastRow.sort_key ?? null, lastRow.id) : null,
    };
  }

  const shape = [filtersShape(params), shortSearch ? "like" : "", params.userId ? "user" : "", desc ? "desc" : "", after ? "" : "first"].join(".");
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
  const groups: GroupCover[] = typeof row.group_covers === "string" ? (JSON.parse(row.group_covers) as GroupCover[]) : (row.group_covers ?? []);
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
    // Also for an ended subscription (history): the Users tab sorts by it, so the row shows what it is sorted by.
    lastActiveAt: current?.lastActiveAt?.toISOString() ?? null,
    ended: stored && !current && stored.accessEndsAt ? { tier: stored.tier, at: stored.accessEndsAt.toISOString() } : null,
    source: {
      direct: row.direct_tier ?? null,
      groups: groups.map((c) => ({ groupId: c.groupId, displayName: c.groupName, tier: c.tier })),
    },
    forecast:
      current && row.f_burn !== null && row.f_burn !== undefined
        ? { burnCcPerDay: Number(row.f_burn), allowanceRunsOutOn: row.f_runs_out, accessStopsOn: row.f_stops, stopReason: row.f_reason }
        : null,
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

/**
 * One page of a keyed sort (users-sort.ts): first the users who have a key, walked in (key, user id) order on
 * the key's index (subscriptions_last_active_idx, subscription_months_used_idx) and joined to their directory
 * row; when those run out before the page is full, the users without a key, walked in id order on the
 * directory's primary key. Each part is one prepared statement; a page needs the second only where the
 * first part ends. A filter that no keyed (or no key-less) user can pass skips that part, so it is never
 * walked to its end for nothing.
 */
async function keyedRows(
  db: Executor,
  sort: Exclude<UsersSort, "name">,
  desc: boolean,
  after: SortAfter | null,
  p: {
    accountId: string;
    profileId: string;
    periodId: string;
    want: number;
    filters: SQL[];
    shape: string;
    ledgerOnly: SQL;
    forecastJoin: SQL;
    subJoin: SQL;
    columns: SQL;
    keyNullImpossible: boolean;
    keyValueImpossible: boolean;
  },
): Promise<PageRow[]> {
  const dir = sql.raw(desc ? "desc" : "asc");
  const cmp = sql.raw(desc ? "<" : ">");
  const extra = p.filters.length ? sql`and ${sql.join(p.filters, sql` and `)}` : sql``;
  const name = `users_tab_${sort}.${p.shape}.${desc ? "desc" : "asc"}`;
  const rows: PageRow[] = [];
  // The key, its cast, the table that holds it and how that table joins the directory row.
  const key =
    sort === "lastActive"
      ? { expr: sql`subscriptions.last_active_at`, text: sql`subscriptions.last_active_at::text`, cast: sql.raw("timestamptz"), id: sql`subscriptions.user_id` }
      : {
          expr: sql`(subscription_months.included_cc + subscription_months.overage_cc + subscription_months.unbilled_cc)`,
          text: sql`(subscription_months.included_cc + subscription_months.overage_cc + subscription_months.unbilled_cc)::text`,
          cast: sql.raw("bigint"),
          id: sql`subscription_months.user_id`,
        };
  if (!p.keyValueImpossible && (after === null || after.key !== null)) {
    const from =
      sort === "lastActive"
        ? sql`subscriptions join directory_users on directory_users.account_id = subscriptions.account_id and directory_users.id = subscriptions.user_id
            ${p.ledgerOnly} ${p.forecastJoin}
            where subscriptions.account_id = ${p.accountId}::uuid and subscriptions.profile_id = ${p.profileId}::uuid and subscriptions.last_active_at is not null`
        : sql`subscription_months join directory_users on directory_users.account_id = subscription_months.account_id and directory_users.id = subscription_months.user_id
            ${p.subJoin} ${p.forecastJoin}
            where subscription_months.account_id = ${p.accountId}::uuid and subscription_months.profile_id = ${p.profileId}::uuid and subscription_months.period = ${p.periodId}`;
    const cursor = after?.key != null ? sql`and (${key.expr}, ${key.id}) ${cmp} (${after.key}::${key.cast}, ${after.id}::uuid)` : sql``;
    rows.push(
      ...(await runPrepared<PageRow>(
        db,
        `${name}.keyed.${after ? "" : "first"}.${p.want}`,
        sql`select ${p.columns}, ${key.text} as sort_key from ${from}
          and directory_users.deleted_at is null ${cursor} ${extra}
          order by ${key.expr} ${dir}, ${key.id} ${dir} limit ${limitOf(p.want)}`,
      )),
    );
  }
  if (rows.length < p.want && !p.keyNullImpossible) {
    const none = sort === "lastActive" ? sql`subscriptions.last_active_at is null` : sql`subscription_months.user_id is null`;
    const cursor = after?.key === null ? sql`and directory_users.id ${cmp} ${after.id}::uuid` : sql``;
    rows.push(
      ...(await runPrepared<PageRow>(
        db,
        `${name}.none.${after?.key === null ? "" : "first"}.${p.want}`,
        sql`select ${p.columns}, null::text as sort_key from directory_users ${p.subJoin} ${p.ledgerOnly} ${p.forecastJoin}
          where directory_users.account_id = ${p.accountId}::uuid and directory_users.deleted_at is null and ${none} ${cursor} ${extra}
          order by directory_users.id ${dir} limit ${limitOf(p.want)}`,
      )),
    );
  }
  return rows;
}
