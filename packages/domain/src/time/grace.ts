import { DomainError } from "../errors/domain-error";
import { nextPeriod, periodFromId, periodOf, previousPeriod, type Period } from "./period";

/** A period stays open this long after its end for late events (DESIGN.md §2, "Usage"). */
export const defaultGraceMs = 15 * 60 * 1000;
/** An event may claim to have occurred at most this far in the future (clients' clocks drift). */
export const maxFutureSkewMs = 5 * 60 * 1000;

/** When a period stops accepting late events and may be closed. */
export function periodClosesAt(period: Period, graceMs: number = defaultGraceMs): Date {
  return new Date(period.end.getTime() + graceMs);
}

export function isPeriodClosed(period: Period, now: Date, graceMs: number = defaultGraceMs): boolean {
  return now.getTime() >= periodClosesAt(period, graceMs).getTime();
}

/**
 * The period a usage event counts in: the one it occurred in (edge case 1). A period past its grace
 * window rejects the event (its invoice never changes); an event from the future is refused.
 */
export function periodForEvent(occurredAt: Date, now: Date, graceMs: number = defaultGraceMs, field = "occurredAt"): Period {
  if (occurredAt.getTime() > now.getTime() + maxFutureSkewMs) {
    throw new DomainError("EVENT_IN_FUTURE", `${field}: ${occurredAt.toISOString()} is in the future`, field);
  }
  const period = periodOf(occurredAt);
  if (isPeriodClosed(period, now, graceMs)) {
    throw new DomainError("PERIOD_CLOSED", `${field}: the period ${period.id} closed at ${periodClosesAt(period, graceMs).toISOString()}; late events are no longer accepted`, field);
  }
  return period;
}

/** The last period whose grace window has passed at `now`: every period up to it may be closed. */
export function lastClosablePeriod(now: Date, graceMs: number = defaultGraceMs): Period {
  const previous = previousPeriod(periodOf(now));
  return isPeriodClosed(previous, now, graceMs) ? previous : previousPeriod(previous);
}

/** The first period a profile must close: the one after its last close, else the one it was created in. */
export function nextToClose(profile: { createdAt: Date; closedThrough: string | null }): Period {
  return profile.closedThrough === null ? periodOf(profile.createdAt) : nextPeriod(periodFromId(profile.closedThrough, "closedThrough"));
}
