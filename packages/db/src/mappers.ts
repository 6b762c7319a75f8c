import type { MonthLedger, Subscription, SubscriptionStatus, TierId } from "@seatdesk/domain";
import { instantOf, numberOf } from "./prepared";
import type { subscriptionMonths, subscriptions } from "./schema/index";

/**
 * Stored rows as the domain sees them: one mapper per aggregate, for drizzle's rows (camelCase, Dates,
 * numbers) and for a raw statement's rows (snake_case, timestamps and bigints as each driver returns them).
 */

type Instant = string | Date | null;
type Big = string | number | bigint | null;

/** A subscriptions row as drizzle returns it. */
export type SubscriptionRow = Pick<typeof subscriptions.$inferSelect, "tier" | "status" | "scheduledTier" | "scheduledAt" | "accessEndsAt" | "activatedAt" | "lastActiveAt">;

/** A subscriptions row from a raw statement (`s.tier, s.status, s.scheduled_tier, ...`). */
export type RawSubscriptionRow = {
  tier: TierId;
  status: SubscriptionStatus;
  scheduled_tier: TierId | null;
  scheduled_at: Instant;
  access_ends_at: Instant;
  activated_at: Instant;
  last_active_at: Instant;
};

/** The same columns through a left join: all null when the user has no subscription. */
export type MaybeRawSubscriptionRow = { [K in keyof RawSubscriptionRow]: RawSubscriptionRow[K] | null };

/** The stored subscription; null from a left join's missing row. */
export function subscriptionOf(row: SubscriptionRow | RawSubscriptionRow): Subscription;
export function subscriptionOf(row: MaybeRawSubscriptionRow): Subscription | null;
export function subscriptionOf(row: SubscriptionRow | MaybeRawSubscriptionRow): Subscription | null {
  if ("accessEndsAt" in row) {
    return {
      tier: row.tier,
      status: row.status,
      scheduledTier: row.scheduledTier,
      scheduledAt: row.scheduledAt,
      accessEndsAt: row.accessEndsAt,
      activatedAt: row.activatedAt,
      lastActiveAt: row.lastActiveAt,
    };
  }
  if (row.tier === null || row.status === null) return null;
  return {
    tier: row.tier,
    status: row.status,
    scheduledTier: row.scheduled_tier,
    scheduledAt: instantOf(row.scheduled_at),
    accessEndsAt: instantOf(row.access_ends_at),
    activatedAt: instantOf(row.activated_at),
    lastActiveAt: instantOf(row.last_active_at),
  };
}

/** A subscription_months row as drizzle returns it. */
export type LedgerRow = Pick<
  typeof subscriptionMonths.$inferSelect,
  "period" | "feeTier" | "activeAtStart" | "firstActivatedAt" | "firstMonthProrated" | "includedCc" | "overageCc" | "unbilledCc"
>;

/**
 * A subscription_months row from a raw statement (`m.fee_tier, m.active_at_start, ...`); the period may be
 * left out when the statement reads one period (then it is the mapper's second argument). Booleans may be
 * null through a left join whose row is known to exist (a `has_ledger` column says so).
 */
export type RawLedgerRow = {
  period?: string | null;
  fee_tier: TierId | null;
  active_at_start: boolean | null;
  first_activated_at: Instant;
  first_month_prorated: boolean | null;
  included_cc: Big;
  overage_cc: Big;
  unbilled_cc: Big;
};

/** The stored month ledger; `periodId` names the period when the row does not carry it. */
export function ledgerOf(row: LedgerRow | RawLedgerRow, periodId?: string): MonthLedger {
  if ("feeTier" in row) {
    return {
      periodId: row.period,
      feeTier: row.feeTier,
      activeAtStart: row.activeAtStart,
      firstActivatedAt: row.firstActivatedAt,
      firstMonthProrated: row.firstMonthProrated,
      includedCc: row.includedCc,
      overageCc: row.overageCc,
      unbilledCc: row.unbilledCc,
    };
  }
  const period = row.period ?? periodId;
  if (!period) throw new Error("ledgerOf: a row without its period needs the period id");
  return {
    periodId: period,
    feeTier: row.fee_tier,
    activeAtStart: row.active_at_start ?? false,
    firstActivatedAt: instantOf(row.first_activated_at),
    firstMonthProrated: row.first_month_prorated ?? false,
    includedCc: numberOf(row.included_cc) ?? 0,
    overageCc: numberOf(row.overage_cc) ?? 0,
    unbilledCc: numberOf(row.unbilled_cc) ?? 0,
  };
}
