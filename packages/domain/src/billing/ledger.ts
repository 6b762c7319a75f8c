import { type Catalog, getTier, highestTier } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { inForce, type Subscription } from "../subscription/subscription";
import type { Period } from "../time/period";
import type { UsageCounters } from "../usage/split";
import type { FirstMonthMode } from "./first-month";

/**
 * One user's month in one profile: what the bill of that month is made of (DESIGN.md §2, "Charges").
 * Usage is counted per period, so a new month starts fresh at 00:00 UTC on the 1st whether or not
 * any close has run.
 */
export interface MonthLedger extends UsageCounters {
  periodId: string;
  /** The highest tier held while Active in the period; it sets the fee and the allowance (edge case 4). null: never Active in it. */
  feeTier: TierId | null;
  /** Active at 00:00 on the 1st of the period. */
  activeAtStart: boolean;
  /** Became Active in this period without being Active at its start: the first paid month, for `firstMonth: prorated`. */
  firstActivatedAt: Date | null;
  /**
   * The profile's `firstMonth` read at the instant of that first activation (edge case 12): the month is
   * priced with the setting then in force, whatever the setting says later. false when not a first month.
   */
  firstMonthProrated: boolean;
}

/** The ledger of a period as it opens, from the subscription in force at its start (see inForce). */
export function openLedger(period: Period, atStart: Subscription | null): MonthLedger {
  const activeAtStart = atStart?.status === "active";
  return {
    periodId: period.id,
    feeTier: activeAtStart ? atStart.tier : null,
    activeAtStart,
    firstActivatedAt: null,
    firstMonthProrated: false,
    includedCc: 0,
    overageCc: 0,
    unbilledCc: 0,
  };
}

/**
 * The ledger of `period` for a subscription last changed before or during it: the stored one when the
 * period already has one, else opened from the subscription as it stood at the period's start.
 * Every change to a subscription materializes its ledger first, so a missing ledger means nothing
 * changed since the period began and `inForce(stored, period.start)` is the state at its start. One
 * exception is read from the subscription itself: a first activation at or after the period's end (a
 * usage event in the next month, which writes only that month's ledger) means it was Pending then.
 */
export function ledgerFor(period: Period, stored: Subscription | null, existing: MonthLedger | null): MonthLedger {
  if (existing) return existing;
  if (!stored) return openLedger(period, null);
  const activatedLater = stored.activatedAt !== null && stored.activatedAt.getTime() >= period.end.getTime();
  return openLedger(period, inForce(activatedLater ? { ...stored, status: "pending" } : stored, period.start));
}

/**
 * The user holds `tier` while Active at `at` (activation, an upgrade, a restore): the fee tier becomes
 * the highest held, and the month is re-rated against the larger allowance (DESIGN.md §2, "Upgrade").
 * "Refund the lower tier, charge the higher tier in full": the month's fee is the highest tier's price.
 * `firstMonth` is the profile's setting at `at`; it is kept only when `at` starts a first paid month (edge case 12).
 */
export function noteActive(catalog: Catalog, ledger: MonthLedger, tier: TierId, at: Date, firstMonth: FirstMonthMode): MonthLedger {
  const feeTier = highestTier(catalog, ledger.feeTier ? [ledger.feeTier, tier] : [tier]);
  if (ledger.activeAtStart) return rerate(catalog, { ...ledger, feeTier, firstActivatedAt: null, firstMonthProrated: false });
  if (ledger.firstActivatedAt) return rerate(catalog, { ...ledger, feeTier });
  return rerate(catalog, { ...ledger, feeTier, firstActivatedAt: at, firstMonthProrated: firstMonth === "prorated" });
}

/** The month's allowance in centicredits: the fee tier's, or for a user never Active this month, their current tier's. */
export function allowanceOf(catalog: Catalog, ledger: MonthLedger, currentTier: TierId): number {
  return getTier(catalog, ledger.feeTier ?? currentTier).allowanceCenticredits;
}

/**
 * When the allowance grows, accepted overage moves back into the allowance first; unbilled overshoot
 * stays unbilled (DESIGN.md §2, "overage fee").
 */
export function rerate(catalog: Catalog, ledger: MonthLedger): MonthLedger {
  if (!ledger.feeTier || ledger.overageCc === 0) return ledger;
  const allowance = getTier(catalog, ledger.feeTier).allowanceCenticredits;
  const room = Math.max(0, allowance - ledger.includedCc);
  const moved = Math.min(room, ledger.overageCc);
  if (moved === 0) return ledger;
  return { ...ledger, includedCc: ledger.includedCc + moved, overageCc: ledger.overageCc - moved };
}

/** Everything the user consumed in the month, billed or not, in centicredits. */
export function usedOf(counters: UsageCounters): number {
  return counters.includedCc + counters.overageCc + counters.unbilledCc;
}
