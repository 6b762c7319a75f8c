import { sql } from "drizzle-orm";
import {
  burnRateCcPerDay,
  burnWindow,
  ledgerFor,
  overageAllowed,
  previousPeriod,
  resolveUserCap,
  type Cap,
  type MonthLedger,
  type OverageSwitch,
  type Period,
  type Subscription,
} from "@seatdesk/domain";
import { inForceAt, ledgerOf, numberOf, rowsOf, subscriptionColumns, subscriptionOf, type Executor, type RawLedgerRow, type RawSubscriptionRow } from "@seatdesk/db";

/** The profile's settings a forecast reads. */
export interface ForecastProfileSettings {
  accountId: string;
  id: string;
  overagesEnabled: boolean;
  defaultCapCc: number | null;
  budgetCents: number | null;
}

/** One subscribed user as the forecast rules need them: the subscription, three months' ledgers, the limits resolved by the domain. */
export interface SeatFacts {
  userId: string;
  subscription: Subscription;
  /** The ledger of `now`'s period, and of the two complete months before it (ledgerFor: stored, else opened). */
  ledger: MonthLedger;
  lastMonth: MonthLedger;
  monthBefore: MonthLedger;
  overageAllowed: boolean;
  userCap: Cap;
}

type Big = string | number | null;
type Row = RawSubscriptionRow & {
  user_id: string;
  cur: RawLedgerRow | null;
  prev: RawLedgerRow | null;
  prev2: RawLedgerRow | null;
  user_cap_set: boolean;
  user_cap_cc: Big;
  group_caps: Big[] | null;
  overage_switch: OverageSwitch | null;
};

const ledgerJson = (alias: string) =>
  sql.raw(`case when ${alias}.user_id is null then null else json_build_object('fee_tier', ${alias}.fee_tier, 'active_at_start', ${alias}.active_at_start,
    'first_activated_at', ${alias}.first_activated_at, 'first_month_prorated', ${alias}.first_month_prorated,
    'included_cc', ${alias}.included_cc, 'overage_cc', ${alias}.overage_cc, 'unbilled_cc', ${alias}.unbilled_cc) end`);

const monthJoin = (alias: string, period: Period) =>
  sql`left join subscription_months ${sql.raw(alias)} on ${sql.raw(alias)}.account_id = s.account_id and ${sql.raw(alias)}.profile_id = s.profile_id
    and ${sql.raw(alias)}.user_id = s.user_id and ${sql.raw(alias)}.period = ${period.id}`;

/**
 * The subscriptions in force at `now` in one profile (inForceAt, the SQL form rules-sql.test.ts proves equal
 * to the domain's inForce), in user id order after `after`, at most `limit`, or just `userId`: each with its
 * ledgers of `now`'s period and the two before, and what its cap resolves from. One statement per chunk.
 */
export async function loadSeatFacts(
  db: Executor,
  profile: ForecastProfileSettings,
  period: Period,
  now: Date,
  scope: { after: string | null; limit: number } | { userId: string },
): Promise<SeatFacts[]> {
  const p1 = previousPeriod(period);
  const p2 = previousPeriod(p1);
  const which = "userId" in scope ? sql`and s.user_id = ${scope.userId}::uuid` : scope.after ? sql`and s.user_id > ${scope.after}::uuid` : sql``;
  const limit = "userId" in scope ? 1 : scope.limit;
  const rows = rowsOf<Row>(
    await db.execute(sql`
      select s.user_id, s.tier, s.status, s.scheduled_tier, s.scheduled_at, s.access_ends_at, s.activated_at, s.last_active_at,
        ${ledgerJson("m0")} as cur, ${ledgerJson("m1")} as prev, ${ledgerJson("m2")} as prev2,
        uo.id is not null as user_cap_set, uo.cap_cc as user_cap_cc,
        (select json_agg(co.cap_cc) from cap_overrides co join group_members gm on gm.account_id = co.account_id and gm.group_id = co.group_id
          where co.account_id = s.account_id and co.profile_id = s.profile_id and gm.user_id = s.user_id) as group_caps,
        sw.value as overage_switch
      from subscriptions s
      ${monthJoin("m0", period)}
      ${monthJoin("m1", p1)}
      ${monthJoin("m2", p2)}
      left join cap_overrides uo on uo.account_id = s.account_id and uo.profile_id = s.profile_id and uo.user_id = s.user_id
      left join overage_switches sw on sw.account_id = s.account_id and sw.profile_id = s.profile_id and sw.user_id = s.user_id
      where s.account_id = ${profile.accountId}::uuid and s.profile_id = ${profile.id}::uuid and ${inForceAt(now, subscriptionColumns("s"))} ${which}
      order by s.user_id
      limit ${limit}`),
  );
  const cap = (v: Big): Cap => (v === null ? "unlimited" : Number(v));
  return rows.map((r) => {
    const subscription = subscriptionOf(r);
    const stored = (l: RawLedgerRow | null, p: Period) => (l ? ledgerOf(l, p.id) : null);
    return {
      userId: r.user_id,
      subscription,
      ledger: ledgerFor(period, subscription, stored(r.cur, period)),
      lastMonth: ledgerFor(p1, subscription, stored(r.prev, p1)),
      monthBefore: ledgerFor(p2, subscription, stored(r.prev2, p2)),
      overageAllowed: overageAllowed(profile.overagesEnabled, r.overage_switch ?? "inherit"),
      userCap: resolveUserCap({
        userOverride: r.user_cap_set ? cap(r.user_cap_cc) : null,
        groupOverrides: (r.group_caps ?? []).map(cap),
        profileDefault: profile.defaultCapCc,
      }),
    };
  });
}

/**
 * Burn rates of the last 7 complete UTC days (burnWindow), per user: one set-based read of the profile's
 * usage events in that occurred_at range, summed in SQL, the rate decided by the domain. `userId` narrows it
 * to one user (the live forecast).
 */
export async function loadBurnRates(db: Executor, profile: { accountId: string; id: string }, now: Date, userId?: string): Promise<Map<string, number>> {
  const { from, to } = burnWindow(now);
  const rows = rowsOf<{ user_id: string; cc: Big }>(
    await db.execute(sql`
      select e.user_id, sum(e.credits_cc) as cc from usage_events e
      where e.account_id = ${profile.accountId}::uuid and e.profile_id = ${profile.id}::uuid
        and e.occurred_at >= ${from.toISOString()}::timestamptz and e.occurred_at < ${to.toISOString()}::timestamptz
        ${userId ? sql`and e.user_id = ${userId}::uuid` : sql``}
      group by e.user_id`),
  );
  return new Map(rows.map((r) => [r.user_id, burnRateCcPerDay(numberOf(r.cc) ?? 0)]));
}

/** The overage the budget has counted in `period` (profile_months), and the overage billable so far (the ledgers' sum). */
export async function loadProfileOverage(db: Executor, profile: { accountId: string; id: string }, period: Period): Promise<{ budgetUsedCc: number; overageCc: number }> {
  const [row] = rowsOf<{ budget_used: Big; overage: Big }>(
    await db.execute(sql`
      select (select pm.overage_cc from profile_months pm where pm.account_id = ${profile.accountId}::uuid and pm.profile_id = ${profile.id}::uuid and pm.period = ${period.id}) as budget_used,
        (select sum(m.overage_cc) from subscription_months m where m.account_id = ${profile.accountId}::uuid and m.profile_id = ${profile.id}::uuid and m.period = ${period.id}) as overage`),
  );
  return { budgetUsedCc: numberOf(row?.budget_used ?? null) ?? 0, overageCc: numberOf(row?.overage ?? null) ?? 0 };
}

