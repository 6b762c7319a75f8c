import { type Catalog, compareTiers } from "../catalog/catalog";
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
 * Brings a subscription in line with the user's effective tier, the highest of the
 * assignments that cover them, or null when none does (DESIGN.md §2, "Changes", "Statuses").
 *
 * - none before (or ended): a new Pending subscription;
 * - Canceled in the same month: restored at the tier held at the cancel, then the change rules apply (edge case 3);
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
    if (!sub) return { subscription: null, outcome: { kind: "none" } };
    if (sub.status === "pending") return { subscription: null, outcome: { kind: "removed" } };
    if (sub.status === "canceled") return { subscription: sub, outcome: { kind: "unchanged", tier: sub.tier } };
    const accessEndsAt = cancelAccess === "immediate" ? now : periodOf(now).end;
    return {
      subscription: { ...sub, status: "canceled", scheduledTier: null, scheduledAt: null, accessEndsAt },
      outcome: { kind: "canceled", accessEndsAt },
    };
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

  if (sub.status === "canceled") {
    const restored: Subscription = { ...sub, status: "active", accessEndsAt: null };
    const after = changeTier(catalog, restored, effectiveTier, now);
    const outcome: ChangeOutcome = after.outcome.kind === "unchanged" ? { kind: "restored", tier: restored.tier } : after.outcome;
    return { subscription: after.subscription, outcome };
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
 * the profile's `cancelAccess` (DESIGN.md §2, "Canceled"); a Pending subscription is simply removed.
 */
export function removeByIdentityProvider(catalog: Catalog, sub: Subscription | null, now: Date): ReconcileResult {
  return reconcile(catalog, sub, null, now, "immediate");
}
