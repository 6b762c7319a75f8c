import { toLedger } from "@seatdesk/scheduler";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { MonthLedger, Period } from "@seatdesk/domain";
import { subscriptionMonths, type Executor } from "@seatdesk/db";

/** A stored month ledger as the domain sees it (the scheduler reads rows the same way). */
export const rowToLedger = toLedger;

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
  return new Map(rows.map((r) => [r.userId, rowToLedger(r)]));
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
        includedCc: sql`excluded.included_cc`,
        overageCc: sql`excluded.overage_cc`,
        unbilledCc: sql`excluded.unbilled_cc`,
        updatedAt: sql`excluded.updated_at`,
      },
    });
}
