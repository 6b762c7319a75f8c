import { and, count, eq, sql } from "drizzle-orm";
import { budgetStatus, subscriptionStatuses, type BudgetStatus, type Catalog, type Period, type SubscriptionStatus, type TierId } from "@seatdesk/domain";
import { allowanceTier, inForceAt, rowsOf, subscriptionMonths, subscriptions, tierInForce, usageEvents, type Executor } from "@seatdesk/db";
import { loadBudgetUsedCc } from "./billing";

export interface TierCounts {
  tier: TierId;
  total: number;
  byStatus: Record<SubscriptionStatus, number>;
}

export interface CreditsByTier {
  tier: TierId;
  /** Users with any usage this period whose allowance this tier sets. */
  users: number;
  usedCc: number;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
}

export interface CreditsByClient {
  client: string;
  events: number;
  usedCc: number;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
}

export interface DashboardSummary {
  periodId: string;
  asOf: Date;
  /** Current subscriptions (see subscriptionCounts) by tier in force now and status. */
  subscriptions: { total: number; byStatus: Record<SubscriptionStatus, number>; byTier: TierCounts[] };
  /** Users of this profile whose last activity falls in the last 24 hours / 7 days / 30 days before now. */
  activeUsers: { lastDay: number; last7Days: number; last30Days: number };
  credits: { usedCc: number; byTier: CreditsByTier[]; byClient: CreditsByClient[] };
  overage: BudgetStatus;
}

const num = (value: unknown) => sql<number>`${value}`.mapWith(Number);

function activeSince(now: string, days: number) {
  return sql`${subscriptions.lastActiveAt} > ${now}::timestamptz - make_interval(days => ${days}) and ${subscriptions.lastActiveAt} <= ${now}::timestamptz`;
}

const zeroStatuses = (): Record<SubscriptionStatus, number> => Object.fromEntries(subscriptionStatuses.map((s) => [s, 0])) as Record<SubscriptionStatus, number>;

/** The Dashboard of DESIGN.md §4 for one profile and the period of `now`: four grouped queries, whatever the number of users. */
export async function dashboardSummary(
  db: Executor,
  catalog: Catalog,
  profile: { accountId: string; id: string; budgetCents: number | null },
  period: Period,
  now: Date,
): Promise<DashboardSummary> {
  const at = now.toISOString();
  // The catalog's tiers in rank order (loadCatalog sorts them).
  const tiers = catalog.tiers.map((t) => t.id);

  // Tier in force and "still current" are @seatdesk/db's SQL forms of the domain's inForce (rules-sql.ts, proven
  // equal to it by its test): an ended subscription (history, edge case 13) is never counted as current. Activity
  // (last active) is a fact of the past and counts whatever the subscription's state now.
  const subRows = await db
    .select({
      tier: tierInForce(now),
      status: subscriptions.status,
      current: num(sql`count(*) filter (where ${inForceAt(now)})`),
      lastDay: num(sql`count(*) filter (where ${activeSince(at, 1)})`),
      last7Days: num(sql`count(*) filter (where ${activeSince(at, 7)})`),
      last30Days: num(sql`count(*) filter (where ${activeSince(at, 30)})`),
    })
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, profile.accountId), eq(subscriptions.profileId, profile.id)))
    .groupBy(sql`1`, sql`2`);

  // The allowance is set by the ledger's fee tier, or for a user never Active this month by their current tier (domain: allowanceOf).
  const creditTier = allowanceTier(now);
  const creditRows = await db
    .select({
      tier: creditTier,
      users: num(sql`count(*) filter (where ${subscriptionMonths.includedCc} + ${subscriptionMonths.overageCc} + ${subscriptionMonths.unbilledCc} > 0)`),
      includedCc: num(sql`coalesce(sum(${subscriptionMonths.includedCc}), 0)`),
      overageCc: num(sql`coalesce(sum(${subscriptionMonths.overageCc}), 0)`),
      unbilledCc: num(sql`coalesce(sum(${subscriptionMonths.unbilledCc}), 0)`),
    })
    .from(subscriptionMonths)
    .leftJoin(
      subscriptions,
      and(
        eq(subscriptions.accountId, subscriptionMonths.accountId),
        eq(subscriptions.profileId, subscriptionMonths.profileId),
        eq(subscriptions.userId, subscriptionMonths.userId),
      ),
    )
    .where(
      and(eq(subscriptionMonths.accountId, profile.accountId), eq(subscriptionMonths.profileId, profile.id), eq(subscriptionMonths.period, period.id)),
    )
    .groupBy(sql`1`);

  // A period is the range of instants it covers: the events' key (account, profile, occurred_at, id) reads it, in the month's partition.
  const clientRows = await db
    .select({
      client: usageEvents.client,
      events: count(),
      includedCc: num(sql`coalesce(sum(${usageEvents.includedCc}), 0)`),
      overageCc: num(sql`coalesce(sum(${usageEvents.overageCc}), 0)`),
      unbilledCc: num(sql`coalesce(sum(${usageEvents.unbilledCc}), 0)`),
      usedCc: num(sql`coalesce(sum(${usageEvents.creditsCc}), 0)`),
    })
    .from(usageEvents)
    .where(
      and(
        eq(usageEvents.accountId, profile.accountId),
        eq(usageEvents.profileId, profile.id),
        sql`${usageEvents.occurredAt} >= ${period.start.toISOString()}::timestamptz and ${usageEvents.occurredAt} < ${period.end.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(usageEvents.client);

  const budgetUsedCc = await loadBudgetUsedCc(db, profile, period);

  const byTier = new Map<TierId, TierCounts>(tiers.map((tier) => [tier, { tier, total: 0, byStatus: zeroStatuses() }]));
  const byStatus = zeroStatuses();
  const activeUsers = { lastDay: 0, last7Days: 0, last30Days: 0 };
  let total = 0;
  for (const r of subRows) {
    activeUsers.lastDay += r.lastDay;
    activeUsers.last7Days += r.last7Days;
    activeUsers.last30Days += r.last30Days;
    const t = byTier.get(r.tier);
    if (!t || r.current === 0) continue;
    t.total += r.current;
    t.byStatus[r.status] += r.current;
    byStatus[r.status] += r.current;
    total += r.current;
  }

  const credits = new Map<TierId, CreditsByTier>(tiers.map((tier) => [tier, { tier, users: 0, usedCc: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 }]));
  let overageCc = 0;
  let usedCc = 0;
  for (const r of creditRows) {
    overageCc += r.overageCc;
    const used = r.includedCc + r.overageCc + r.unbilledCc;
    usedCc += used;
    const c = credits.get(r.tier);
    if (!c) continue;
    Object.assign(c, { users: r.users, usedCc: used, includedCc: r.includedCc, overageCc: r.overageCc, unbilledCc: r.unbilledCc });
  }

  return {
    periodId: period.id,
    asOf: now,
    subscriptions: { total, byStatus, byTier: [...byTier.values()] },
    activeUsers,
    credits: {
      usedCc,
      byTier: [...credits.values()],
      byClient: clientRows.sort((a, b) => b.usedCc - a.usedCc || (a.client < b.client ? -1 : 1)),
    },
    overage: budgetStatus(catalog, { overageCc, budgetCents: profile.budgetCents, budgetUsedCc }),
  };
}

export interface ActiveUsersByDay {
  /** The first instant counted: 00:00 UTC on the first day of the series. */
  from: Date;
  /** The last instant counted: now. */
  to: Date;
  /** One entry per UTC calendar day, oldest first; the last is today (so far). */
  days: { day: string; users: number }[];
}

const dayMs = 86_400_000;
const isoDay = (instant: Date) => instant.toISOString().slice(0, 10);

/**
 * Users of this profile active on each of the last `days` UTC days, today included up to `now`: distinct
 * users with a usage event that day, or whose last activity (sign-in or usage: DESIGN.md §2 "Usage") falls
 * on it. Earlier sign-ins leave no trace, so a day's count is a floor for sign-ins without usage.
 * Two indexed scans bounded by the window's periods, whatever the number of users; one grouped answer.
 */
export async function activeUsersByDay(db: Executor, profile: { accountId: string; id: string }, now: Date, days: number): Promise<ActiveUsersByDay> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = new Date(today - (days - 1) * dayMs);
  // The events' key (account, profile, occurred_at, id) reads the window, in the partitions of its months.
  const fromIso = from.toISOString();
  const toIso = now.toISOString();
  const result = await db.execute(sql`
    select to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day, count(distinct user_id)::int as users
    from (
      select ${usageEvents.userId} as user_id, ${usageEvents.occurredAt} as at
      from ${usageEvents}
      where ${usageEvents.accountId} = ${profile.accountId} and ${usageEvents.profileId} = ${profile.id}
        and ${usageEvents.occurredAt} >= ${fromIso}::timestamptz and ${usageEvents.occurredAt} <= ${toIso}::timestamptz
      union all
      select ${subscriptions.userId}, ${subscriptions.lastActiveAt}
      from ${subscriptions}
      where ${subscriptions.accountId} = ${profile.accountId} and ${subscriptions.profileId} = ${profile.id}
        and ${subscriptions.lastActiveAt} >= ${fromIso}::timestamptz and ${subscriptions.lastActiveAt} <= ${toIso}::timestamptz
    ) activity
    group by 1`);
  const counts = new Map(rowsOf<{ day: string; users: number }>(result).map((r) => [r.day, Number(r.users)]));
  return {
    from,
    to: now,
    days: Array.from({ length: days }, (_, i) => {
      const day = isoDay(new Date(from.getTime() + i * dayMs));
      return { day, users: counts.get(day) ?? 0 };
    }),
  };
}
