import { allowanceOf, type MonthLedger } from "../billing/ledger";
import { noteActive } from "../billing/ledger";
import type { FirstMonthMode } from "../billing/first-month";
import type { Catalog } from "../catalog/catalog";
import { inForce, recordActivity, type Subscription } from "../subscription/subscription";
import { budgetRoomCenticredits, capRoomCenticredits } from "./limits";
import { addSplit, splitEvent, type EventSplit, type OverageLimits } from "./split";

/** Notices a user's month can produce, each once per user and period (issue 5, "Limits and notices"). */
export const noticeKinds = ["allowance-80", "allowance-100", "overage-started", "cap-reached", "budget-reached"] as const;
export type NoticeKind = (typeof noticeKinds)[number];

export type RecordUsageResult =
  | { accepted: false; reason: "not-subscribed" | "access-ended" }
  | {
      accepted: true;
      subscription: Subscription;
      ledger: MonthLedger;
      split: EventSplit;
      /** This event was the user's first: Pending became Active (DESIGN.md §2, "Usage"). */
      activated: boolean;
      allowanceCc: number;
      /** Thresholds this event crossed; storage keeps each once per user and period. */
      notices: NoticeKind[];
    };

/**
 * One usage event through the rules (DESIGN.md §2, "Usage", "Overages and caps"): refused without a
 * subscription in force at the time it occurred; the first event activates a Pending user (and the
 * month's ledger notes it); every event moves "last active"; the credits are split allowance first,
 * then overage within the cap and the budget, the rest unbilled.
 */
export function recordUsage(input: {
  catalog: Catalog;
  /** The profile's `firstMonth` at the time of the event: it prices a first paid month this event starts (edge case 12). */
  firstMonth: FirstMonthMode;
  stored: Subscription | null;
  /** The ledger of the event's period (see ledgerFor). */
  ledger: MonthLedger;
  creditsCc: number;
  occurredAt: Date;
  limits: OverageLimits;
}): RecordUsageResult {
  const { catalog, stored, occurredAt } = input;
  const sub = stored ? inForce(stored, occurredAt) : null;
  if (!sub) return { accepted: false, reason: stored?.status === "canceled" ? "access-ended" : "not-subscribed" };
  const subscription = recordActivity(sub, occurredAt);
  const activated = sub.status === "pending";
  const before = activated ? noteActive(catalog, input.ledger, subscription.tier, occurredAt, input.firstMonth) : input.ledger;
  const allowanceCc = allowanceOf(catalog, before, subscription.tier);
  const split = splitEvent(before, allowanceCc, input.creditsCc, input.limits);
  const ledger: MonthLedger = { ...before, ...addSplit(before, split) };
  return { accepted: true, subscription, ledger, split, activated, allowanceCc, notices: crossed(before, ledger, allowanceCc, split, input.limits) };
}

function crossed(before: MonthLedger, after: MonthLedger, allowanceCc: number, split: EventSplit, limits: OverageLimits): NoticeKind[] {
  const out: NoticeKind[] = [];
  // 80% compared exactly: included × 5 ≥ allowance × 4.
  if (before.includedCc * 5 < allowanceCc * 4 && after.includedCc * 5 >= allowanceCc * 4) out.push("allowance-80");
  if (before.includedCc < allowanceCc && after.includedCc >= allowanceCc) out.push("allowance-100");
  if (before.overageCc === 0 && after.overageCc > 0) out.push("overage-started");
  // The cap is reached by the event that uses its last room, or, for a cap of 0, by the first overshoot;
  // later events stopped by it reach nothing new.
  const capRoomBefore = capRoomCenticredits(limits.userCap, before.overageCc);
  const capRoomAfter = capRoomCenticredits(limits.userCap, after.overageCc);
  const firstOvershootAtZero = capRoomBefore === 0 && before.overageCc === 0 && before.unbilledCc === 0 && split.stoppedBy === "user-cap-reached";
  if (limits.allowed && ((capRoomBefore !== null && capRoomBefore > 0 && capRoomAfter === 0) || firstOvershootAtZero)) out.push("cap-reached");
  // The profile's budget is reached by the event whose overage uses its last room: the notice names that
  // user (storage keeps it once per user and period). A budget of 0 has no room to use and reaches nothing.
  const budgetRoomBefore = budgetRoomCenticredits(limits.budgetCents, limits.profileOverageCc, limits.overageCentsPerCredit);
  const budgetRoomAfter = budgetRoomCenticredits(limits.budgetCents, limits.profileOverageCc + split.overageCc, limits.overageCentsPerCredit);
  if (limits.allowed && budgetRoomBefore !== null && budgetRoomBefore > 0 && budgetRoomAfter === 0) out.push("budget-reached");
  return out;
}
