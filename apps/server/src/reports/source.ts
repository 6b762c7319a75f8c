import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { activityRowWith, activityUserColumnsOf, addDays, dayOf, type ActivityRow, type ActivityUserColumns, type Cap, type OverageSwitch } from "@seatdesk/domain";
import { numberOf, rowsOf, subscriptionOf, type Executor, type MaybeRawSubscriptionRow } from "@seatdesk/db";

/**
 * Reading the user activity report (issue 15) from the ledger of events: one statement per profile and UTC
 * day sums the day's events per user and client (through the events' key, account, profile, occurred_at, in the day's month partition) and joins the facts the
 * domain turns into a row (report/row.ts). PostgreSQL streams it through a postgres.js cursor, read one batch
 * ahead; PGlite, which has no cursor here, in keyset pages. Either way a batch at a time: never a whole day in
 * memory.
 */

/** The profile columns a report reads. */
export interface ReportProfile {
  accountId: string;
  id: string;
  overagesEnabled: boolean;
  /** Per-user cap when no override applies, in centicredits; null: no cap. */
  defaultCapCc: number | null;
}

/** A position inside one day's rows: the last (user, client) given out. */
export interface DayPosition {
  userId: string;
  client: string;
}

type Big = string | number | bigint | null;

type RawRow = MaybeRawSubscriptionRow & {
  user_id: string;
  client: string;
  events: number | string;
  included_cc: Big;
  overage_cc: Big;
  unbilled_cc: Big;
  user_name: string;
  email: string;
  overage_switch: OverageSwitch | null;
  has_user_cap: boolean;
  user_cap_cc: Big;
  group_caps: (number | string | null)[] | string | null;
};

const dialect = new PgDialect({ casing: "snake_case" });

/** A cap override's column: null is "unlimited" (schema/settings.ts). */
const capOf = (v: number | string | null): Cap => (v === null ? "unlimited" : Number(v));

/**
 * One day's rows of one profile, sorted by user id then client; after `after`, at most `limit` when given.
 * Every value is a parameter, so each page's statement has the same text.
 */
export function dayStatement(profile: ReportProfile, day: Date, after: DayPosition | null = null, limit: number | null = null): SQL {
  const a = sql`${profile.accountId}::uuid`;
  const p = sql`${profile.id}::uuid`;
  return sql`
    with agg as (
      select e.user_id, e.client, count(*)::int as events,
        sum(e.included_cc)::bigint as included_cc, sum(e.overage_cc)::bigint as overage_cc, sum(e.unbilled_cc)::bigint as unbilled_cc
      from usage_events e
      where e.account_id = ${a} and e.profile_id = ${p}
        and e.occurred_at >= ${day.toISOString()}::timestamptz and e.occurred_at < ${addDays(day, 1).toISOString()}::timestamptz
        ${after ? sql`and (e.user_id, e.client) > (${after.userId}::uuid, ${after.client}::text)` : sql``}
      group by e.user_id, e.client
      ${limit !== null ? sql`order by e.user_id, e.client limit ${String(limit)}::int` : sql``}
    ),
    group_caps as (
      select gm.user_id, json_agg(co.cap_cc) as caps
      from cap_overrides co join group_members gm on gm.account_id = co.account_id and gm.group_id = co.group_id
      where co.account_id = ${a} and co.profile_id = ${p} and co.group_id is not null
      group by gm.user_id
    )
    select agg.user_id, agg.client, agg.events, agg.included_cc, agg.overage_cc, agg.unbilled_cc, u.user_name, u.email,
      s.tier, s.status, s.scheduled_tier, s.scheduled_at, s.access_ends_at, s.activated_at, s.last_active_at,
      o.value as overage_switch, (uc.id is not null) as has_user_cap, uc.cap_cc as user_cap_cc, g.caps as group_caps
    from agg
    join directory_users u on u.account_id = ${a} and u.id = agg.user_id
    left join subscriptions s on s.account_id = ${a} and s.profile_id = ${p} and s.user_id = agg.user_id
    left join overage_switches o on o.account_id = ${a} and o.profile_id = ${p} and o.user_id = agg.user_id
    left join cap_overrides uc on uc.account_id = ${a} and uc.profile_id = ${p} and uc.user_id = agg.user_id
    left join group_caps g on g.user_id = agg.user_id
    order by agg.user_id, agg.client`;
}

/**
 * The domain's rows (report/row.ts) of raw rows given in the statement's order, with the facts in force at
 * `now`. A user's rows are consecutive (one per client), and the user's columns depend on the user alone, so
 * they are decided once for each user, not once for each of their clients.
 */
function rowMapper(profile: ReportProfile, day: string, now: Date): (r: RawRow) => ActivityRow {
  let userId: string | null = null;
  let user: ActivityUserColumns | null = null;
  return (r) => {
    if (user === null || r.user_id !== userId) {
      const groupCaps = typeof r.group_caps === "string" ? (JSON.parse(r.group_caps) as (number | null)[]) : (r.group_caps ?? []);
      user = activityUserColumnsOf(
        {
          profileId: profile.id,
          userName: r.user_name,
          email: r.email,
          subscription: subscriptionOf(r),
          profileOveragesEnabled: profile.overagesEnabled,
          overageSwitch: r.overage_switch ?? "inherit",
          userCap: r.has_user_cap ? capOf(numberOf(r.user_cap_cc)) : null,
          groupCaps: groupCaps.map(capOf),
          profileDefaultCap: profile.defaultCapCc,
        },
        day,
        now,
      );
      userId = r.user_id;
    }
    return activityRowWith(
      {
        day,
        userId: r.user_id,
        client: r.client,
        events: Number(r.events),
        includedCc: numberOf(r.included_cc) ?? 0,
        overageCc: numberOf(r.overage_cc) ?? 0,
        unbilledCc: numberOf(r.unbilled_cc) ?? 0,
      },
      user,
    );
  };
}

interface PostgresJsCursorClient {
  unsafe(query: string, params: unknown[]): { cursor(rows: number): AsyncIterable<RawRow[]> };
}

/** The postgres.js client (pool or transaction) behind a drizzle executor; null on PGlite. */
function postgresClientOf(db: Executor): PostgresJsCursorClient | null {
  const client = (db as unknown as { _: { session: { client?: unknown } } })._.session.client;
  return client && typeof (client as { unsafe?: unknown }).unsafe === "function" ? (client as PostgresJsCursorClient) : null;
}

/**
 * A cursor's batches, read one ahead: the next batch is asked for before this one is handed out, so the
 * server produces it while the reader turns this one into rows and writes them (on another core: the time is
 * the larger of the two, not their sum). At most one batch is in flight. Stopping early waits for that batch,
 * then closes the cursor (postgres.js closes it on `return`, and can only once the batch asked for has come).
 */
async function* readAhead<T>(batches: AsyncIterable<T>): AsyncGenerator<T> {
  const cursor = batches[Symbol.asyncIterator]();
  const ask = () => {
    const next = Promise.resolve(cursor.next());
    // Handled now, awaited later: a failure while the reader is busy must not end the process as unhandled.
    next.catch(() => {});
    return next;
  };
  let pending: Promise<IteratorResult<T>> | null = ask();
  try {
    for (;;) {
      const result: IteratorResult<T> = await pending;
      if (result.done) {
        pending = null;
        return;
      }
      pending = ask();
      yield result.value;
    }
  } finally {
    if (pending) {
      const last = await pending.catch(() => null);
      if (last && !last.done) await cursor.return?.();
    }
  }
}

/**
 * Rows per batch of a day's cursor. Small on purpose: with the next batch read ahead, two batches are alive at
 * once, and at 500 rows (about 100 kB of CSV) they die young in the collector's nursery; at 5,000 they
 * outlived it and the copying cost more than the round trips saved (bench:report: the job took 0.5 to 1 s
 * more at 2,000 and 5,000 rows than at 500).
 */
const cursorBatchRows = 500;
/** Rows per keyset page (PGlite): each page is a statement over the whole day's events, so pages stay large. */
const pageBatchRows = 5_000;

/** Rows of one day, a batch at a time, from `after` on. Stopping the iteration early ends the cursor. */
export async function* dayRows(db: Executor, profile: ReportProfile, day: Date, now: Date, options: { after?: DayPosition | null; batch?: number } = {}): AsyncGenerator<ActivityRow[]> {
  const rowOf = rowMapper(profile, dayOf(day), now);
  const pg = postgresClientOf(db);
  if (pg) {
    const batch = options.batch ?? cursorBatchRows;
    const query = dialect.sqlToQuery(dayStatement(profile, day, options.after ?? null));
    for await (const rows of readAhead(pg.unsafe(query.sql, query.params).cursor(batch))) yield rows.map(rowOf);
    return;
  }
  const batch = options.batch ?? pageBatchRows;
  let after = options.after ?? null;
  for (;;) {
    const rows = rowsOf<RawRow>(await db.execute(dayStatement(profile, day, after, batch)));
    if (rows.length > 0) yield rows.map(rowOf);
    if (rows.length < batch) return;
    const last = rows[rows.length - 1]!;
    after = { userId: last.user_id, client: last.client };
  }
}

/** Up to `limit` rows of one day after `after`, in one statement (the API's pages). */
export async function dayPage(db: Executor, profile: ReportProfile, day: Date, after: DayPosition | null, limit: number, now: Date): Promise<ActivityRow[]> {
  const rows = rowsOf<RawRow>(await db.execute(dayStatement(profile, day, after, limit)));
  return rows.map(rowMapper(profile, dayOf(day), now));
}

/** The number of events a profile's day holds now (a final check of a day's file, domain report/files.ts). */
export async function dayEventCount(db: Executor, profile: ReportProfile, day: Date): Promise<number> {
  const [row] = rowsOf<{ n: number | string }>(
    await db.execute(sql`select count(*)::int as n from usage_events
      where account_id = ${profile.accountId}::uuid and profile_id = ${profile.id}::uuid
        and occurred_at >= ${day.toISOString()}::timestamptz and occurred_at < ${addDays(day, 1).toISOString()}::timestamptz`),
  );
  return Number(row?.n ?? 0);
}
