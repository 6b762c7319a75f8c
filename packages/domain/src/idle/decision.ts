import type { Catalog } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { inForce } from "../subscription/subscription";
import { idleDayMs, deactivationSavingCents, idleDays, idleSince, type IdleSeat } from "./seat";
import type { IdleSettings } from "./settings";

export const idleActions = ["none", "warn", "deactivate", "expire"] as const;
export type IdleAction = (typeof idleActions)[number];

/** A seat and what the automation knows of it. */
export interface IdleSeatState extends IdleSeat {
  /** The seat's latest idle warning; null: never warned. */
  warnedAt: Date | null;
  /** The user has a direct assignment: the only thing deactivating a plan removes (DESIGN.md §2 edge case 2). */
  direct: boolean;
  /** The tiers of the groups that cover the user, which stay after a deactivation. */
  groupTiers: readonly TierId[];
}

export interface IdleDecision {
  action: IdleAction;
  idleDays: number | null;
  /** For `warn`: when the plan is deactivated if the seat is still idle (null: the setting does not deactivate). */
  deactivateOn: Date | null;
}

const none = (days: number | null): IdleDecision => ({ action: "none", idleDays: days, deactivateOn: null });

/**
 * What the idle automation does to one seat at `now` (issue 15, "Idle seats"):
 * - a Pending seat idle `expireDays` or more expires (its direct assignment is removed, as an unsubscribe of a
 *   Pending seat does);
 * - an Active seat idle `warnDays` or more is warned, once: a warning stands while the seat has not been active
 *   since it;
 * - a warned seat still idle `deactivateDays` after its warning has its plan deactivated;
 * - a seat active again after its warning is no longer acted on (it is warned anew when idle again);
 * - Canceled and ended seats, and seats with no direct assignment (only a group covers them: there is no
 *   per-user opt-out, edge case 2), are neither deactivated nor expired.
 * The job and the settings preview both ask this function, so the preview is what the job then does.
 */
export function decideIdle(settings: IdleSettings, seat: IdleSeatState, now: Date): IdleDecision {
  const since = idleSince(seat, now);
  const days = idleDays(seat, now);
  if (since === null || days === null) return none(null);
  const status = inForce(seat.subscription, now)!.status;
  if (status === "pending") {
    return settings.expireDays !== null && days >= settings.expireDays && seat.direct ? { action: "expire", idleDays: days, deactivateOn: null } : none(days);
  }
  const warned = seat.warnedAt !== null && seat.warnedAt.getTime() > since.getTime() ? seat.warnedAt : null;
  if (warned) {
    const due = settings.deactivateDays !== null && now.getTime() - warned.getTime() >= settings.deactivateDays * idleDayMs;
    return due && seat.direct ? { action: "deactivate", idleDays: days, deactivateOn: null } : none(days);
  }
  if (settings.warnDays !== null && days >= settings.warnDays) {
    const deactivateOn = settings.deactivateDays === null ? null : new Date(now.getTime() + settings.deactivateDays * idleDayMs);
    return { action: "warn", idleDays: days, deactivateOn };
  }
  return none(days);
}

export interface IdlePlanTotals {
  warn: { count: number; savingCents: number };
  deactivate: { count: number; savingCents: number };
  expire: { count: number };
}

/**
 * The counts and money of a setting's decisions at `now` (the preview's sentence): seats warned, with what
 * their plans would save a month if they stay idle and are deactivated (0 when the setting does not
 * deactivate or a group keeps them); seats deactivated now and what that saves a month; Pending seats
 * expired (they cost nothing).
 */
export function idlePlanTotals(catalog: Catalog, settings: IdleSettings, seats: readonly IdleSeatState[], now: Date): IdlePlanTotals {
  const totals: IdlePlanTotals = { warn: { count: 0, savingCents: 0 }, deactivate: { count: 0, savingCents: 0 }, expire: { count: 0 } };
  for (const seat of seats) {
    const d = decideIdle(settings, seat, now);
    const saving = () => (seat.direct ? deactivationSavingCents(catalog, seat.subscription, seat.groupTiers, now) : 0);
    if (d.action === "warn") {
      totals.warn.count++;
      if (settings.deactivateDays !== null) totals.warn.savingCents += saving();
    } else if (d.action === "deactivate") {
      totals.deactivate.count++;
      totals.deactivate.savingCents += saving();
    } else if (d.action === "expire") totals.expire.count++;
  }
  return totals;
}
