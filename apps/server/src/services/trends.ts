import { sql } from "drizzle-orm";
import { emptyTrendMonth, trendGroupsOf, trendMonth, trendPeriods, type Catalog, type TrendGroup, type TrendMonth } from "@seatdesk/domain";
import { rowsOf, type Executor } from "@seatdesk/db";
import { billPeriods } from "@seatdesk/scheduler";

export interface Trends {
  asOf: Date;
  /** The last 12 months, oldest first; the last is the current month so far. */
  months: TrendMonth[];
}

type ClosedRow = {
  period: string;
  fees_cents: number | string;
  overage_cents: number | string;
  total_cents: number | string;
  trend_groups: TrendGroup[] | string;
};

/**
 * The overview's trends (issue 15, "Trends"): for each of the last 12 months of one profile, seats by fee tier
 * and status in the month, active users, credits (included, overage, unbilled) and the bill's money.
 *
 * A closed month (up to the profile's closed_through) is its invoice: the money and the month's users as the
 * domain's trend groups, which the close wrote with it (trendGroupsOf over the ledgers it billed), so twelve
 * closed months are twelve rows whatever the number of users. Months not closed yet (the current one, a month
 * in its grace window or not yet reached by the worker) are billed by the scheduler's billPeriods, the
 * computation behind the running estimate and the close, and grouped the same way. Months before the profile
 * existed are zeros. Run it inside one snapshot (inSnapshot) so the two reads agree.
 */
export async function profileTrends(
  db: Executor,
  catalog: Catalog,
  profile: { accountId: string; id: string; createdAt: Date },
  now: Date,
): Promise<Trends> {
  const periods = trendPeriods(now);
  const ids = periods.map((p) => p.id);
  // closed_through is read in the statement, so the months treated as closed are exactly those with an invoice in this snapshot.
  const rows = rowsOf<ClosedRow>(
    await db.execute(sql`
      select i.period, i.fees_cents, i.overage_cents, i.total_cents, i.trend_groups from invoices i
      where i.account_id = ${profile.accountId} and i.profile_id = ${profile.id} and i.period between ${ids[0]!} and ${ids.at(-1)!}
        and i.period <= (select closed_through from profiles where account_id = ${profile.accountId} and id = ${profile.id})`),
  );
  const closed = new Map(
    rows.map((r) => {
      const groups = typeof r.trend_groups === "string" ? (JSON.parse(r.trend_groups) as TrendGroup[]) : r.trend_groups;
      const money = { feesCents: Number(r.fees_cents), overageCents: Number(r.overage_cents), totalCents: Number(r.total_cents) };
      return [r.period, trendMonth(catalog, r.period, "invoice", groups, money)] as const;
    }),
  );

  const open = periods.filter((p) => !closed.has(p.id) && p.end.getTime() > profile.createdAt.getTime());
  const bills = new Map<string, TrendMonth>();
  for (const period of open) {
    const bill = (await billPeriods(db, catalog, [profile], period, { names: false })).get(profile.id)!;
    const { feesCents, overageCents, totalCents } = bill.invoice;
    const groups = trendGroupsOf(Array.from(bill.people.values(), (p) => p.ledger));
    bills.set(period.id, trendMonth(catalog, period.id, "estimate", groups, { feesCents, overageCents, totalCents }));
  }

  return {
    asOf: now,
    months: periods.map((p) => closed.get(p.id) ?? bills.get(p.id) ?? emptyTrendMonth(catalog, p.id)),
  };
}
