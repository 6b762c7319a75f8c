import { type Catalog, compareTiers, highestTier } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { periodOf } from "../time/period";
import type { SubscriptionStatus } from "./status";

/** Profile setting `cancelAccess` (DESIGN.md §2, "Canceled"). */
export const cancelAccessModes = ["end-of-month", "immediate"] as const;
export type CancelAccessMode = (typeof cancelAccessModes)[number];

/** One user's subscription in one profile, as the rules see it. */
export interface Subscription {
  /** The tier in force now (after any due scheduled change). */
  tier: TierId;
  status: SubscriptionStatus;
  /** A downgrade waiting for the 1st of next month (DESIGN.md §2, "Downgrade"). */
  scheduledTier: TierId | null;
  scheduledAt: Date | null;
  /** For Canceled: when access ends. */
  accessEndsAt: Date | null;
  activatedAt: Date | null;
  lastActiveAt: Date | null;
}

/** What reconciling a subscription with its assignments did, for the answer "what happened and when". */
export type ChangeOutcome =
  | { kind: "subscribed"; tier: TierId }
  | { kind: "restored"; tier: TierId }
  | { kind: "changed-now"; from: TierId; to: TierId }
  | { kind: "upgraded"; from: TierId; to: TierId }
  | { kind: "downgrade-scheduled"; from: TierId; to: TierId; at: Date }
  | { kind: "scheduled-change-cleared"; tier: TierId }
  | { kind: "unchanged"; tier: TierId }
  | { kind: "removed" }
  | { kind: "canceled"; accessEndsAt: Date }
  /** The identity provider ended access at once for a user already Canceled with access until later (edge case 11). */
  | { kind: "access-ended"; at: Date }
  | { kind: "none" };

export interface ReconcileResult {
  /** null: no subscription (never had one, or a Pending one was removed). */
  subscription: Subscription | null;
  outcome: ChangeOutcome;
}

/**
 * Applies the transitions that have fallen due by `now` (DESIGN.md §2, "Transitions are
 * effective-dated"): a scheduled downgrade whose date has come is in force; a cancel whose
 * access end has come means the subscription has ended (returns null).
 */
export function inForce(sub: Subscription, now: Date): Subscription | null {
  if (sub.status === "canceled" && sub.accessEndsAt && sub.accessEndsAt.getTime() <= now.getTime()) return null;
  if (sub.scheduledTier && sub.scheduledAt && sub.scheduledAt.getTime() <= now.getTime()) {
    return { ...sub, tier: sub.scheduledTier, scheduledTier: null, scheduledAt: null };
  }
  return sub;
}

/**
 * A Canceled subscription that lost access in the month of `now` (or has not lost it yet) can be restored
 * without a second charge (DESIGN.md §2 edge cases 3 and 10): a cancel with `end-of-month` or `immediate`,
 * the loss of the last covering assignment, or the identity provider's deactivation. A subscription whose
 * access ended in an earlier month has ended: subscribing again starts Pending.
 */
export function isRestorable(sub: Subscription, now: Date): boolean {
  return sub.status === "canceled" && sub.accessEndsAt !== null && sub.accessEndsAt.getTime() > periodOf(now).start.getTime();
}

/**
 * A user's effective tier in a profile (DESIGN.md §2, "Changes"): the highest tier among the assignments
 * that cover them; none for a person the identity provider set inactive or deleted (edge case 9).
 */
export function effectiveTier(catalog: Catalog, coveringTiers: Iterable<TierId>, inactive: boolean): TierId | null {
  return inactive ? null : highestTier(catalog, coveringTiers);
}

/**
 * Brings a subscription in line with the user's effective tier, the highest of the
 * assignments that cover them, or null when none does (DESIGN.md §2, "Changes", "Statuses").
 *
 * - none before, or ended in an earlier month: a new Pending subscription;
 * - Canceled, with access lost in this month or not yet: restored Active at the tier held at the cancel,
 *   then the change rules apply (edge cases 3 and 10);
 * - ended and still not covered: kept as history, unchanged (edge case 13);
 * - Pending: the tier changes at once either way;
 * - Active: an upgrade is immediate and clears a scheduled downgrade; a downgrade is scheduled for the 1st;
 * - no assignment left: Pending is removed, Active is Canceled with access until the month ends
 *   (or at once with `cancelAccess: immediate`); a cancel clears a scheduled downgrade.
 */
export function reconcile(
  catalog: Catalog,
  current: Subscription | null,
  effectiveTier: TierId | null,
  now: Date,
  cancelAccess: CancelAccessMode,
): ReconcileResult {
  const sub = current ? inForce(current, now) : null;

  if (effectiveTier === null) {
    // Nothing, or an ended subscription kept as history (edge case 13).
    if (!sub) return { subscription: current, outcome: { kind: "none" } };
    if (sub.status === "pending") return { subscription: null, outcome: { kind: "removed" } };
    if (sub.status === "canceled") return { subscription: sub, outcome: { kind: "unchanged", tier: sub.tier } };
    const accessEndsAt = cancelAccess === "immediate" ? now : periodOf(now).end;
    return {
      subscription: { ...sub, status: "canceled", scheduledTier: null, scheduledAt: null, accessEndsAt },
      outcome: { kind: "canceled", accessEndsAt },
    };
  }

  // Canceled with access left, or access lost earlier this month: restored (edge cases 3 and 10).
  const canceled = sub ? (sub.status === "canceled" ? sub : null) : current && isRestorable(current, now) ? current : null;
  if (canceled) {
    const restored: Subscription = { ...canceled, status: "active", accessEndsAt: null };
    const after = changeTier(catalog, restored, effectiveTier, now);
    const outcome: ChangeOutcome = after.outcome.kind === "unchanged" ? { kind: "restored", tier: restored.tier } : after.outcome;
    return { subscription: after.subscription, outcome };
  }

  if (!sub) {
    return {
      subscription: {
        tier: effectiveTier,
        status: "pending",
        scheduledTier: null,
        scheduledAt: null,
        accessEndsAt: null,
        activatedAt: null,
        lastActiveAt: null,
      },
      outcome: { kind: "subscribed", tier: effectiveTier },
    };
  }

  return changeTier(catalog, sub, effectiveTier, now);
}

function changeTier(catalog: Catalog, sub: Subscription, to: TierId, now: Date): ReconcileResult {
  const cmp = compareTiers(catalog, to, sub.tier);
  if (sub.status === "pending") {
    if (cmp === 0) return { subscription: sub, outcome: { kind: "unchanged", tier: sub.tier } };
    return { subscription: { ...sub, tier: to, scheduledTier: null, scheduledAt: null }, outcome: { kind: "changed-now", from: sub.tier, to } };
  }
  if (cmp > 0) {
    return { subscription: { ...sub, tier: to, scheduledTier: null, scheduledAt: null }, outcome: { kind: "upgraded", from: sub.tier, to } };
  }
  if (cmp < 0) {
    // The same downgrade requested again changes nothing (edge case 15).
    if (sub.scheduledTier === to) return { subscription: sub, outcome: { kind: "unchanged", tier: sub.tier } };
    const at = periodOf(now).end;
    return {
      subscription: { ...sub, scheduledTier: to, scheduledAt: at },
      outcome: { kind: "downgrade-scheduled", from: sub.tier, to, at },
    };
  }
  if (sub.scheduledTier) {
    return { subscription: { ...sub, scheduledTier: null, scheduledAt: null }, outcome: { kind: "scheduled-change-cleared", tier: sub.tier } };
  }
  return { subscription: sub, outcome: { kind: "unchanged", tier: sub.tier } };
}

/**
 * The first sign-in or usage of a Pending user activates them (DESIGN.md §2, "Active"); every use
 * moves "last active". An Active or Canceled (access not yet ended) user only has "last active" moved.
 */
export function recordActivity(sub: Subscription, at: Date): Subscription {
  const activated = sub.status === "pending" ? { status: "active" as const, activatedAt: at } : {};
  const lastActiveAt = sub.lastActiveAt && sub.lastActiveAt.getTime() > at.getTime() ? sub.lastActiveAt : at;
  return { ...sub, ...activated, lastActiveAt };
}

/**
 * A person deleted or set inactive by the identity provider has left: access ends at once, whatever
 * the profile's `cancelAccess` (DESIGN.md §2, "Canceled"), even when they were already Canceled with
 * access until the month's end (edge case 11); a Pending subscription is simply removed.
 */
export function removeByIdentityProvider(catalog: Catalog, sub: Subscription | null, now: Date): ReconcileResult {
  const current = sub ? inForce(sub, now) : null;
  if (current?.status === "canceled" && current.accessEndsAt !== null && current.accessEndsAt.getTime() > now.getTime()) {
    return { subscription: { ...current, accessEndsAt: now }, outcome: { kind: "access-ended", at: now } };
  }
  return reconcile(catalog, sub, null, now, "immediate");
}
