import { computeCharge } from "../billing/charges";
import type { FirstMonthMode } from "../billing/first-month";
import { noteActive, type MonthLedger } from "../billing/ledger";
import { type Catalog, getTier } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { periodOf } from "../time/period";
import { reconcile, type CancelAccessMode, type ChangeOutcome, type Subscription } from "./subscription";

export interface ChangePreview {
  outcome: ChangeOutcome;
  /** When the change takes effect: now, or 00:00 UTC on the 1st of next month (a downgrade; access ending after a cancel). */
  effectiveAt: Date;
  when: "now" | "next-month";
  /** This month's fee before and after the change; an estimate while the month is open. */
  thisMonthEstimateCents: { before: number; after: number; delta: number };
  /** The monthly fee from next month on; 0 when the subscription ends. */
  nextMonthCents: number;
  /** The subscription after the change. */
  after: Subscription | null;
}

/**
 * What a change would do, before it is made (DESIGN.md §2 "Changes", issue: "a change preview that
 * says what happens, when, and the money involved"). `effectiveTier` is the user's effective tier
 * after the change (null when nothing will cover them).
 */
export function previewChange(input: {
  catalog: Catalog;
  subscription: Subscription | null;
  ledger: MonthLedger;
  effectiveTier: TierId | null;
  now: Date;
  cancelAccess: CancelAccessMode;
  firstMonth: FirstMonthMode;
}): ChangePreview {
  const { catalog, now } = input;
  const period = periodOf(now);
  const result = reconcile(catalog, input.subscription, input.effectiveTier, now, input.cancelAccess);
  const after = result.subscription;
  const ledgerAfter = after?.status === "active" ? noteActive(catalog, input.ledger, after.tier, now, input.firstMonth) : input.ledger;
  const before = computeCharge(catalog, input.ledger, period).feeCents;
  const afterFee = computeCharge(catalog, ledgerAfter, period).feeCents;
  const nextTier = after && after.status !== "canceled" ? (after.scheduledTier ?? after.tier) : null;
  // A scheduled downgrade, or a cancel with access until the month ends, takes effect on the 1st.
  const effectiveAt =
    result.outcome.kind === "downgrade-scheduled" ? result.outcome.at : result.outcome.kind === "canceled" ? result.outcome.accessEndsAt : now;
  return {
    outcome: result.outcome,
    effectiveAt,
    when: effectiveAt.getTime() > now.getTime() ? "next-month" : "now",
    thisMonthEstimateCents: { before, after: afterFee, delta: afterFee - before },
    nextMonthCents: nextTier ? getTier(catalog, nextTier).priceCents : 0,
    after,
  };
}
