import { allowanceOf, usedOf, type MonthLedger } from "../billing/ledger";
import type { Catalog } from "../catalog/catalog";
import { inForce, type Subscription } from "../subscription/subscription";
import { periodOf } from "../time/period";
import { budgetRoomCenticredits, capRoomCenticredits } from "./limits";
import type { OverageLimits } from "./split";

/** Entitlement reasons, in the order they are decided (DESIGN.md §2, edge case 7). */
export const entitlementReasons = [
  "ok",
  "overage",
  "allowance-used-overage-off",
  "user-cap-reached",
  "profile-budget-reached",
  "not-subscribed",
  "access-ended",
] as const;
export type EntitlementReason = (typeof entitlementReasons)[number];

export interface Entitlement {
  allowed: boolean;
  reason: EntitlementReason;
  allowanceCc: number;
  usedCc: number;
  overageUsedCc: number;
  /** Centicredits left before the next limit; null: no limit ahead (overage with no cap and no budget). */
  headroomCc: number | null;
  periodEnd: Date;
  /** With `access-ended`: when access ended (edge case 13); null otherwise. */
  accessEndedAt: Date | null;
}

/**
 * May this user use paid features now? Read-only: it neither activates nor moves "last active"
 * (edge case 7). Allowance left → ok; else overage not allowed → allowance-used-overage-off;
 * cap used → user-cap-reached; budget used → profile-budget-reached; else allowed as overage.
 */
export function decideEntitlement(input: {
  catalog: Catalog;
  subscription: Subscription | null;
  /** The month's ledger of `now`'s period (see ledgerFor). */
  ledger: MonthLedger;
  limits: OverageLimits;
  now: Date;
}): Entitlement {
  const periodEnd = periodOf(input.now).end;
  const { ledger: counters, limits } = input;
  const sub = input.subscription ? inForce(input.subscription, input.now) : null;
  // The allowance of the tier that sets the fee (edge case 4); none without a subscription in force.
  const allowanceCc = sub ? allowanceOf(input.catalog, counters, sub.tier) : 0;
  // One object literal per answer: `{ ...base, allowed, … }` has V8 (Node 20) add each key in its runtime, on every check.
  const answer = (allowed: boolean, reason: EntitlementReason, headroomCc: number | null, accessEndedAt: Date | null = null): Entitlement => ({
    allowed,
    reason,
    allowanceCc,
    usedCc: usedOf(counters),
    overageUsedCc: counters.overageCc,
    headroomCc,
    periodEnd,
    accessEndedAt,
  });
  if (!sub) {
    const endedAt = input.subscription?.status === "canceled" ? input.subscription.accessEndsAt : null;
    return endedAt ? answer(false, "access-ended", 0, endedAt) : answer(false, "not-subscribed", 0);
  }
  const allowanceLeft = allowanceCc - counters.includedCc;
  if (allowanceLeft > 0) return answer(true, "ok", allowanceLeft);
  if (!limits.allowed) return answer(false, "allowance-used-overage-off", 0);
  const capRoom = capRoomCenticredits(limits.userCap, counters.overageCc);
  if (capRoom === 0) return answer(false, "user-cap-reached", 0);
  const budgetRoom = budgetRoomCenticredits(limits.budgetCents, limits.profileOverageCc, limits.overageCentsPerCredit);
  if (budgetRoom === 0) return answer(false, "profile-budget-reached", 0);
  return answer(true, "overage", capRoom === null ? budgetRoom : budgetRoom === null ? capRoom : Math.min(capRoom, budgetRoom));
}
