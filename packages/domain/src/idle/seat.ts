import { type Catalog, getTier, highestTier } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { inForce, type Subscription } from "../subscription/subscription";

/** One day in milliseconds: idle thresholds count whole 24-hour days from the instant idleness began. */
export const idleDayMs = 24 * 60 * 60 * 1000;

/**
 * A seat as the idle rules see it (issue 15, "Idle seats"): the stored subscription and when it last became
 * Pending (subscribed, subscribed again after it ended, or its Pending tier changed: each is an administrator
 * choosing the seat again, so the never-activated clock starts over).
 */
export interface IdleSeat {
  subscription: Subscription;
  pendingSince: Date;
}

/**
 * Since when a seat has been idle at `now`: an Active seat since it was last active (DESIGN.md §2, "Every event
 * updates last active"; activation sets it too), a Pending seat since it became Pending. Canceled and ended
 * seats are never idle: they are already on their way out and cost nothing from next month.
 */
export function idleSince(seat: IdleSeat, now: Date): Date | null {
  const sub = inForce(seat.subscription, now);
  if (!sub) return null;
  if (sub.status === "active") return sub.lastActiveAt ?? sub.activatedAt ?? seat.pendingSince;
  if (sub.status === "pending") return seat.pendingSince;
  return null;
}

/** Whole days idle at `now` (a seat idle 29 days and 23 hours is idle 29 days); null when the seat cannot be idle. */
export function idleDays(seat: IdleSeat, now: Date): number | null {
  const since = idleSince(seat, now);
  return since === null ? null : Math.max(0, Math.floor((now.getTime() - since.getTime()) / idleDayMs));
}

/**
 * What a seat costs a month at `now` (issue 15: "the money they cost per month"): an Active seat its tier's
 * price (the tier in force, DESIGN.md §2 catalog); Pending seats are not charged, and Canceled or ended seats
 * cost nothing from next month.
 */
export function seatMonthlyCostCents(catalog: Catalog, sub: Subscription, now: Date): number {
  const current = inForce(sub, now);
  return current?.status === "active" ? getTier(catalog, current.tier).priceCents : 0;
}

/**
 * What deactivating a seat's plan saves a month: its cost now less what it costs afterwards. Deactivating
 * removes only the user's direct assignment (DESIGN.md §2 edge case 2): a group that still covers them keeps
 * them at the group's tier (the highest of `remainingTiers`), so only the difference is saved.
 */
export function deactivationSavingCents(catalog: Catalog, sub: Subscription, remainingTiers: readonly TierId[], now: Date): number {
  const cost = seatMonthlyCostCents(catalog, sub, now);
  const remaining = highestTier(catalog, remainingTiers);
  const after = remaining === null ? 0 : getTier(catalog, remaining).priceCents;
  return Math.max(0, cost - after);
}
