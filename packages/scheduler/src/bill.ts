import { and, eq, sql } from "drizzle-orm";
import { buildInvoice, computeCharge, ledgerFor, type Catalog, type FirstMonthMode, type Invoice, type MonthLedger, type Period, type Subscription } from "@seatdesk/domain";
import { directoryUsers, subscriptionMonths, subscriptions, type Executor } from "@seatdesk/db";

/** A stored subscription row as the domain sees it. */
export const toSubscription = (row: typeof subscriptions.$inferSelect): Subscription => ({
  tier: row.tier,
  status: row.status,
  scheduledTier: row.scheduledTier,
  scheduledAt: row.scheduledAt,
  accessEndsAt: row.accessEndsAt,
  activatedAt: row.activatedAt,
  lastActiveAt: row.lastActiveAt,
});

/** A stored month ledger as the domain sees it. */
export const toLedger = (r: typeof subscriptionMonths.$inferSelect): MonthLedger => ({
  periodId: r.period,
  feeTier: r.feeTier,
  activeAtStart: r.activeAtStart,
  firstActivatedAt: r.firstActivatedAt,
  includedCc: r.includedCc,
  overageCc: r.overageCc,
  unbilledCc: r.unbilledCc,
});

export interface BillingProfile {
  accountId: string;
  id: string;
  firstMonth: FirstMonthMode;
}

export interface PeriodBill {
  invoice: Invoice;
  /** Everyone with a ledger of the period, by user id: who they are and the ledger the bill used. */
  people: Map<string, { displayName: string; email: string; ledger: MonthLedger }>;
  /** Overage credits billable in the period, over the whole profile. */
  overageCc: number;
}

/**
 * The bill of `period` for one profile (DESIGN.md §2, "Charges"): for every user with a subscription or
 * a ledger in the period, the domain's ledger (ledgerFor: the stored one, else opened from the
 * subscription as it stood at the period's start), its charge (computeCharge) and the invoice
 * (buildInvoice). The running estimate and the month close both use it, so an invoice is exactly the
 * estimate of its period at the close. Two queries whatever the number of users, then the rules in memory.
 */
export async function billPeriod(db: Executor, catalog: Catalog, profile: BillingProfile, period: Period): Promise<PeriodBill> {
  const [months, subs] = await Promise.all([
    // A ledger can outlive its subscription (a Pending one removed after an earlier Active stint this month): it is still billed.
    db
      .select({ month: subscriptionMonths, displayName: directoryUsers.displayName, email: directoryUsers.email })
      .from(subscriptionMonths)
      .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, subscriptionMonths.accountId), eq(directoryUsers.id, subscriptionMonths.userId)))
      .where(and(eq(subscriptionMonths.accountId, profile.accountId), eq(subscriptionMonths.profileId, profile.id), eq(subscriptionMonths.period, period.id))),
    db
      .select({ sub: subscriptions, displayName: directoryUsers.displayName, email: directoryUsers.email })
      .from(subscriptions)
      .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, subscriptions.accountId), eq(directoryUsers.id, subscriptions.userId)))
      .where(
        and(
          eq(subscriptions.accountId, profile.accountId),
          eq(subscriptions.profileId, profile.id),
          sql`not exists (select 1 from ${subscriptionMonths} m where m.account_id = ${subscriptions.accountId} and m.profile_id = ${subscriptions.profileId} and m.period = ${period.id} and m.user_id = ${subscriptions.userId})`,
        ),
      ),
  ]);

  const people = new Map<string, { displayName: string; email: string; ledger: MonthLedger }>();
  for (const r of months) people.set(r.month.userId, { displayName: r.displayName, email: r.email, ledger: toLedger(r.month) });
  for (const r of subs) {
    // Made after the period, or first activated after it (a usage event activates without writing the
    // ended period's ledger): not Active in it, so nothing to bill.
    if (r.sub.createdAt.getTime() >= period.end.getTime()) continue;
    const sub = toSubscription(r.sub);
    const atStart = sub.activatedAt && sub.activatedAt.getTime() >= period.end.getTime() ? { ...sub, status: "pending" as const } : sub;
    people.set(r.sub.userId, { displayName: r.displayName, email: r.email, ledger: ledgerFor(period, atStart, null) });
  }

  let overageCc = 0;
  const charges = [...people].map(([userId, p]) => {
    const charge = computeCharge(catalog, p.ledger, period, profile.firstMonth);
    overageCc += charge.overageCc;
    return { userId, ...charge };
  });
  return { invoice: buildInvoice(period.id, charges), people, overageCc };
}
