import { sql } from "drizzle-orm";
import { buildInvoice, computeCharge, ledgerFor, type Catalog, type Invoice, type MonthLedger, type Period } from "@seatdesk/domain";
import { inForceAt, instantOf, ledgerOf, rowsOf, subscriptionColumns, subscriptionOf, uuidArray, type Executor, type RawLedgerRow, type RawSubscriptionRow } from "@seatdesk/db";

export interface BillingProfile {
  accountId: string;
  id: string;
}

export interface PeriodBill {
  invoice: Invoice;
  /** Everyone with a ledger of the period, by user id: who they are and the ledger the bill used. */
  people: Map<string, { displayName: string; email: string; ledger: MonthLedger }>;
  /** Overage credits billable in the period, over the whole profile. */
  overageCc: number;
}

type Person = { profile_id: string; user_id: string; display_name: string; email: string };
type LedgerRow = Person & RawLedgerRow;
type SubscriptionRow = Person & RawSubscriptionRow & { created_at: string | Date };

/**
 * The bills of `period` for several profiles (DESIGN.md §2, "Charges"): for every user with a subscription
 * or a ledger in the period, the domain's ledger (ledgerFor: the stored one, else opened from the
 * subscription as it stood at the period's start), its charge (computeCharge) and the invoice
 * (buildInvoice). The running estimate and the month close both use it, so an invoice is exactly the
 * estimate of its period at the close. Two queries whatever the number of profiles and users, then the
 * rules in memory.
 */
export async function billPeriods(
  db: Executor,
  catalog: Catalog,
  profiles: readonly BillingProfile[],
  period: Period,
  options: { names?: boolean } = {},
): Promise<Map<string, PeriodBill>> {
  // The close writes names from the directory in SQL; the estimate shows them.
  const names = options.names === false ? sql`'' as display_name, '' as email` : sql`u.display_name, u.email`;
  const people = (alias: string) => (options.names === false ? sql`` : sql.raw(`join directory_users u on u.account_id = ${alias}.account_id and u.id = ${alias}.user_id`));
  const scope = sql`unnest(${uuidArray(profiles.map((p) => p.accountId))}, ${uuidArray(profiles.map((p) => p.id))}) as t(account_id, profile_id)`;
  const [months, subs] = await Promise.all([
    // A ledger can outlive its subscription (a Pending one removed after an earlier Active stint this month): it is still billed.
    db.execute(sql`
      select m.profile_id, m.user_id, ${names}, m.fee_tier, m.active_at_start, m.first_activated_at, m.first_month_prorated, m.included_cc, m.overage_cc, m.unbilled_cc
      from ${scope}
      join subscription_months m on m.account_id = t.account_id and m.profile_id = t.profile_id and m.period = ${period.id}
      ${people("m")}`),
    // A subscription that had ended before the period began is history (edge case 13): it has no part in the period.
    db.execute(sql`
      select s.profile_id, s.user_id, ${names}, s.tier, s.status, s.scheduled_tier, s.scheduled_at, s.access_ends_at,
        s.activated_at, s.last_active_at, s.created_at
      from ${scope}
      join subscriptions s on s.account_id = t.account_id and s.profile_id = t.profile_id
      ${people("s")}
      where ${inForceAt(period.start, subscriptionColumns("s"))}
        and not exists (select 1 from subscription_months m where m.account_id = s.account_id and m.profile_id = s.profile_id and m.period = ${period.id} and m.user_id = s.user_id)`),
  ]);

  const byProfile = new Map(profiles.map((p) => [p.id, new Map<string, { displayName: string; email: string; ledger: MonthLedger }>()]));
  for (const r of rowsOf<LedgerRow>(months)) {
    byProfile.get(r.profile_id)!.set(r.user_id, { displayName: r.display_name, email: r.email, ledger: ledgerOf(r, period.id) });
  }
  for (const r of rowsOf<SubscriptionRow>(subs)) {
    // Made after the period: it had no part in it (the domain reads a later first activation itself).
    if (instantOf(r.created_at)!.getTime() >= period.end.getTime()) continue;
    byProfile.get(r.profile_id)!.set(r.user_id, { displayName: r.display_name, email: r.email, ledger: ledgerFor(period, subscriptionOf(r), null) });
  }

  return new Map(
    profiles.map((profile) => {
      const who = byProfile.get(profile.id)!;
      let overageCc = 0;
      const charges = [...who].map(([userId, p]) => {
        const charge = computeCharge(catalog, p.ledger, period);
        overageCc += charge.overageCc;
        return { userId, ...charge };
      });
      return [profile.id, { invoice: buildInvoice(period.id, charges), people: who, overageCc }];
    }),
  );
}

/** The bill of `period` for one profile: billPeriods for one. */
export async function billPeriod(db: Executor, catalog: Catalog, profile: BillingProfile, period: Period): Promise<PeriodBill> {
  return (await billPeriods(db, catalog, [profile], period)).get(profile.id)!;
}
