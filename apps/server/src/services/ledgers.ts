import { and, eq, inArray, sql } from "drizzle-orm";
import type { MonthLedger, Period } from "@seatdesk/domain";
import { ledgerOf, subscriptionMonths, type Executor } from "@seatdesk/db";

/** The stored ledgers of one period for these users (missing ones are opened by the domain's ledgerFor). */
export async function loadLedgers(db: Executor, accountId: string, profileId: string, period: Period, userIds: string[]): Promise<Map<string, MonthLedger>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(subscriptionMonths)
    .where(
      and(
        eq(subscriptionMonths.accountId, accountId),
        eq(subscriptionMonths.profileId, profileId),
        eq(subscriptionMonths.period, period.id),
        inArray(subscriptionMonths.userId, userIds),
      ),
    );
  return new Map(rows.map((r) => [r.userId, ledgerOf(r)]));
}

/** Writes ledgers (one statement for many users). */
export async function saveLedgers(db: Executor, accountId: string, profileId: string, ledgers: { userId: string; ledger: MonthLedger }[], now: Date): Promise<void> {
  if (ledgers.length === 0) return;
  await db
    .insert(subscriptionMonths)
    .values(
      ledgers.map(({ userId, ledger }) => ({
        accountId,
        profileId,
        period: ledger.periodId,
        userId,
        feeTier: ledger.feeTier,
        activeAtStart: ledger.activeAtStart,
        firstActivatedAt: ledger.firstActivatedAt,
        firstMonthProrated: ledger.firstMonthProrated,
        includedCc: ledger.includedCc,
        overageCc: ledger.overageCc,
        unbilledCc: ledger.unbilledCc,
        updatedAt: now,
      })),
    )
    .onConflictDoUpdate({
      target: [subscriptionMonths.accountId, subscriptionMonths.profileId, subscriptionMonths.period, subscriptionMonths.userId],
      set: {
        feeTier: sql`excluded.fee_tier`,
        activeAtStart: sql`excluded.active_at_start`,
        firstActivatedAt: sql`excluded.first_activated_at`,
        firstMonthProrated: sql`excluded.first_month_prorated`,
        includedCc: sql`excluded.included_cc`,
        overageCc: sql`excluded.overage_cc`,
        unbilledCc: sql`excluded.unbilled_cc`,
        updatedAt: sql`excluded.updated_at`,
      },
    });
}
