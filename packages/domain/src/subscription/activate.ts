import { noteActive, type MonthLedger } from "../billing/ledger";
import type { FirstMonthMode } from "../billing/first-month";
import type { Catalog } from "../catalog/catalog";
import { DomainError } from "../errors/domain-error";
import { inForce, recordActivity, type Subscription } from "./subscription";

export interface Activation {
  subscription: Subscription;
  ledger: MonthLedger;
  /** Pending became Active: the month's ledger starts its paid month. */
  activated: boolean;
}

/**
 * The user signed in to the tool at `at` (DESIGN.md §2, "Active": first sign-in or first usage): a Pending
 * subscription becomes Active and its month's ledger notes the tier (with the profile's `firstMonth` then in
 * force, edge case 12); "last active" moves. Refused without a subscription in force: NOT_SUBSCRIBED, or
 * ACCESS_ENDED for one that has ended (edge case 13).
 */
export function activate(catalog: Catalog, stored: Subscription | null, ledger: MonthLedger, at: Date, firstMonth: FirstMonthMode, field = "userId"): Activation {
  const current = stored ? inForce(stored, at) : null;
  if (!current) throw refusal(stored, field);
  const activated = current.status === "pending";
  const subscription = recordActivity(current, at);
  return { subscription, ledger: activated ? noteActive(catalog, ledger, subscription.tier, at, firstMonth) : ledger, activated };
}

/** Why a user without a subscription in force is refused (edge cases 13 and 16). */
export function refusal(stored: Subscription | null, field: string): DomainError {
  if (stored?.status === "canceled" && stored.accessEndsAt) {
    return new DomainError("ACCESS_ENDED", `${field}: their access ended at ${stored.accessEndsAt.toISOString()}`, field);
  }
  return new DomainError("NOT_SUBSCRIBED", `${field}: they have no subscription in this profile`, field);
}
