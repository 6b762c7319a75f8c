import { sql } from "drizzle-orm";
import {
  emptyTrendMonth,
  trendGroupOf,
  trendMonth,
  trendPeriods,
  type Catalog,
  type TierId,
  type TrendGroup,
  type TrendMonth,
} from "@seatdesk/domain";
import { rowsOf, type Executor } from "@seatdesk/db";
import { billPeriods } from "@seatdesk/scheduler";

export interface Trends {
  asOf: Date;
  /** The last 12 months, oldest first; the last is the current month so far. */
  months: TrendMonth[];
}

type ClosedRow = {
  kind: "invoice" | "group";
  period: string;
  fee_tier: TierId | null;
  activated_in_month: boolean;
  used_credits: boolean;
  users: number | string;
  included_cc: number | string;
  overage_cc: number | string;
  unbilled_cc: number | string;
  fees_cents: number | string;
  overage_cents: number | string;
  total_cents: number | string;
};

/**
 * The overview's trends (issue 15, "Trends"): for each of the last 12 months of one profile, seats by fee tier
 * and status in the month, active users, credits (included, overage, unbilled) and the bill's money.
 *
 * Closed months (up to the profile's closed_through) come from what the close wrote, in one statement: the
 * invoice's totals, and the month's users grouped by the facts the domain's trendGroupOf reads from a ledger —
 * fee tier, first activation, credits used — over invoice lines joined to the stored ledgers. A charged user
 * with no stored ledger had none written because nothing changed that month: the close billed them from the
 * ledger ledgerFor opened (Active at the start, no usage), which is what the line's own fee tier and the null
 * ledger columns say. Months not closed yet (the current one, a month in its grace window or not yet reached
 * by the worker) are billed by the scheduler's billPeriods, the computation behind the running estimate and
 * the close, and grouped by trendGroupOf itself. Months before the profile existed are zeros.
 * Run it inside one snapshot (inSnapshot) so the two reads agree.
 */
export async function profileTrends(
  db: Executor,
  catalog: Catalog,
  profile: { accountId: string; id: string; createdAt: Date },
  now: Date,
): Promise<Trends> {
  const periods = trendPeriods(now);
  const ids = periods.map((p) => p.id);
  const inWindow = (column: string) => sql`${sql.raw(column)} between ${ids[0]!} and ${ids.at(-1)!}`;
  // closed_through is read in the statement, so the months treated as closed are exactly those with an invoice in this snapshot.
  const closedScope = (alias: string) =>
    sql`${sql.raw(alias)}.account_id = ${profile.accountId} and ${sql.raw(alias)}.profile_id = ${profile.id} and ${inWindow(`${alias}.period`)}
      and ${sql.raw(alias)}.period <= (select closed_through from profiles where account_id = ${profile.accountId} and id = ${profile.id})`;
  const rows = rowsOf<ClosedRow>(
    await db.execute(sql`
      select 'invoice' as kind, i.period, null::tier as fee_tier, false as activated_in_month, false as used_credits, 0 as users,
        0 as included_cc, 0 as overage_cc, 0 as unbilled_cc, i.fees_cents, i.overage_cents, i.total_cents
      from invoices i where ${closedScope("i")}
      union all
      select 'group', coalesce(l.period, m.period), coalesce(l.fee_tier, m.fee_tier), coalesce(m.first_activated_at is not null, false),
        coalesce(m.included_cc + m.overage_cc + m.unbilled_cc > 0, false), count(*),
        coalesce(sum(m.included_cc), 0), coalesce(sum(m.overage_cc), 0), coalesce(sum(m.unbilled_cc), 0), 0, 0, 0
      from (select * from invoice_lines l where ${closedScope("l")}) l
      full join (select * from subscription_months m where ${closedScope("m")}) m on m.period = l.period and m.user_id = l.user_id
      group by 2, 3, 4, 5`),
  );

  const closed = new Map<string, { money: TrendMonth["money"]; groups: TrendGroup[] }>();
  const groups = new Map<string, TrendGroup[]>();
  for (const r of rows) {
    if (r.kind === "invoice") {
      closed.set(r.period, { money: { feesCents: Number(r.fees_cents), overageCents: Number(r.overage_cents), totalCents: Number(r.total_cents) }, groups: [] });
      continue;
    }
    const list = groups.get(r.period) ?? [];
    list.push({
      feeTier: r.fee_tier,
      activatedInMonth: r.activated_in_month,
      usedCredits: r.used_credits,
      users: Number(r.users),
      includedCc: Number(r.included_cc),
      overageCc: Number(r.overage_cc),
      unbilledCc: Number(r.unbilled_cc),
    });
    groups.set(r.period, list);
  }

  const open = periods.filter((p) => !closed.has(p.id) && p.end.getTime() > profile.createdAt.getTime());
  const bills = new Map<string, TrendMonth>();
  for (const period of open) {
    const bill = (await billPeriods(db, catalog, [profile], period, { names: false })).get(profile.id)!;
    const { feesCents, overageCents, totalCents } = bill.invoice;
    const trendGroups = [...bill.people.values()].map((p) => trendGroupOf(p.ledger));
    bills.set(period.id, trendMonth(catalog, period.id, "estimate", trendGroups, { feesCents, overageCents, totalCents }));
  }

  return {
    asOf: now,
    months: periods.map((p) => {
      const c = closed.get(p.id);
      if (c) return trendMonth(catalog, p.id, "invoice", groups.get(p.id) ?? [], c.money);
      return bills.get(p.id) ?? emptyTrendMonth(catalog, p.id);
    }),
  };
}
