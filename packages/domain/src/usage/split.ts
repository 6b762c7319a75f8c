import { budgetRoomCenticredits, capRoomCenticredits, type Cap } from "./limits";

/** A user's usage in one profile and period, in centicredits. */
export interface UsageCounters {
  includedCc: number;
  /** Accepted as overage (billable unless a later upgrade moves it back into the allowance). */
  overageCc: number;
  /** Consumed past every limit: recorded and shown, never billed. */
  unbilledCc: number;
}

export const emptyCounters: UsageCounters = { includedCc: 0, overageCc: 0, unbilledCc: 0 };

export interface OverageLimits {
  allowed: boolean;
  userCap: Cap;
  /** The profile's monthly budget in cents; null: none. */
  budgetCents: number | null;
  /** Overage already accepted in the profile this period, all users, in centicredits. */
  profileOverageCc: number;
  overageCentsPerCredit: number;
}

/** Which limit stopped (part of) an event from being billed as overage. */
export type OverageStop = "allowance-used-overage-off" | "user-cap-reached" | "profile-budget-reached";

export interface EventSplit {
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
  stoppedBy: OverageStop | null;
}

/**
 * Splits one usage event (DESIGN.md §2, "An event is split in order"): the allowance first, then
 * overage up to the lowest of the user's cap and the budget left, the rest unbilled overshoot.
 */
export function splitEvent(counters: UsageCounters, allowanceCc: number, creditsCc: number, limits: OverageLimits): EventSplit {
  const includedCc = Math.min(creditsCc, Math.max(0, allowanceCc - counters.includedCc));
  const rest = creditsCc - includedCc;
  if (rest === 0) return { includedCc, overageCc: 0, unbilledCc: 0, stoppedBy: null };
  if (!limits.allowed) return { includedCc, overageCc: 0, unbilledCc: rest, stoppedBy: "allowance-used-overage-off" };

  const capRoom = capRoomCenticredits(limits.userCap, counters.overageCc);
  const budgetRoom = budgetRoomCenticredits(limits.budgetCents, limits.profileOverageCc, limits.overageCentsPerCredit);
  const room = Math.min(capRoom ?? Infinity, budgetRoom ?? Infinity);
  const overageCc = Math.min(rest, room);
  const unbilledCc = rest - overageCc;
  let stoppedBy: OverageStop | null = null;
  if (unbilledCc > 0) stoppedBy = capRoom !== null && capRoom <= (budgetRoom ?? Infinity) ? "user-cap-reached" : "profile-budget-reached";
  return { includedCc, overageCc, unbilledCc, stoppedBy };
}

export function addSplit(counters: UsageCounters, split: EventSplit): UsageCounters {
  return {
    includedCc: counters.includedCc + split.includedCc,
    overageCc: counters.overageCc + split.overageCc,
    unbilledCc: counters.unbilledCc + split.unbilledCc,
  };
}
