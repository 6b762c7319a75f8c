import { type Catalog, getTier } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { roundHalfUp } from "../money/round";
import { daysInPeriod, type Period } from "../time/period";
import type { MonthLedger } from "./ledger";


export interface UserCharge {
  periodId: string;
  /** The tier whose price is charged; null: nothing charged (Pending, or not Active this month). */
  feeTier: TierId | null;
  feeCents: number;
  /** Set when the fee is prorated: days paid (counting the activation day) out of the month's days. */
  proration: { days: number; daysInMonth: number } | null;
  allowanceCc: number;
  includedCc: number;
  overageCc: number;
  overageCents: number;
  unbilledCc: number;
}

/**
 * The month's charges for one user in one profile (DESIGN.md §2, "Charges"):
 * fee = the full price of the highest tier held while Active (or, in a first paid month that began while
 * the profile said `firstMonth: prorated` (edge case 12), price × days remaining counting the activation
 * day ÷ days in the month);
 * overage = accepted overage still past the final allowance × the overage price. Each line is
 * computed exactly and rounded half-up once.
 */
/** Overage credits as money: cc × the catalog's rate (cents per credit = cents per 100 cc), exact, rounded half-up once. */
export function overageCostCents(catalog: Catalog, overageCc: number): number {
  return roundHalfUp(overageCc * catalog.overageCentsPerCredit, 100);
}

export function computeCharge(catalog: Catalog, ledger: MonthLedger, period: Period): UserCharge {
  if (!ledger.feeTier) return charge(catalog, ledger, null, 0, null, 0);
  const tier = getTier(catalog, ledger.feeTier);
  if (ledger.firstMonthProrated && ledger.firstActivatedAt) {
    const daysInMonth = daysInPeriod(period);
    const days = daysInMonth - ledger.firstActivatedAt.getUTCDate() + 1;
    return charge(catalog, ledger, tier.id, roundHalfUp(tier.priceCents * days, daysInMonth), { days, daysInMonth }, tier.allowanceCenticredits);
  }
  return charge(catalog, ledger, tier.id, tier.priceCents, null, tier.allowanceCenticredits);
}

/**
 * The charge as one object literal: the month close builds one per user, and on Node 20 an object spread
 * followed by more properties (`{ ...base, feeTier }`) costs over a microsecond each (bench:close).
 */
function charge(catalog: Catalog, ledger: MonthLedger, feeTier: TierId | null, feeCents: number, proration: UserCharge["proration"], allowanceCc: number): UserCharge {
  return {
    periodId: ledger.periodId,
    feeTier,
    feeCents,
    proration,
    allowanceCc,
    includedCc: ledger.includedCc,
    overageCc: ledger.overageCc,
    overageCents: overageCostCents(catalog, ledger.overageCc),
    unbilledCc: ledger.unbilledCc,
  };
}
