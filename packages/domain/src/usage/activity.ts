import { DomainError } from "../errors/domain-error";
import { periodOf } from "../time/period";

/**
 * The Users tab's activity filters (issue 15, "Idle seats": the tab filters by last active and "never
 * active"): `idle` last active before N days ago, `within` last active in the last N days, `never` a current
 * subscription never used. They read the subscription's `last_active_at`, which the usage rules write.
 */
export const lastActiveFilterKinds = ["idle", "within", "never"] as const;
export type LastActiveFilterKind = (typeof lastActiveFilterKinds)[number];

/** The longest look-back the filters accept: ten years of days. */
export const maxActivityDays = 3650;
const activityDayMs = 86_400_000;

/**
 * The instant that splits "idle for N days" from "active within N days": N whole 24-hour days before `now`.
 * Idle N days is at least N whole days since last active (as idleDays counts them for the idle actions), so a
 * user last active exactly at the cutoff is idle; the two filters split the users who have ever been active
 * with no gap and no overlap.
 */
export function lastActiveCutoff(now: Date, days: number): Date {
  if (!Number.isInteger(days) || days < 1 || days > maxActivityDays) {
    throw new DomainError("INVALID_INPUT", `days: a whole number of days from 1 to ${maxActivityDays}, got ${days}`, "days");
  }
  return new Date(now.getTime() - days * activityDayMs);
}

/** Whether a last-active instant (null: never active) matches an activity filter at `now`. */
export function matchesLastActive(lastActiveAt: Date | null, filter: { kind: LastActiveFilterKind; days?: number | undefined }, now: Date): boolean {
  if (filter.kind === "never") return lastActiveAt === null;
  if (filter.days === undefined) throw new DomainError("INVALID_INPUT", `days: required with "${filter.kind}"`, "days");
  const cutoff = lastActiveCutoff(now, filter.days);
  if (lastActiveAt === null) return false;
  return filter.kind === "idle" ? lastActiveAt <= cutoff : lastActiveAt > cutoff;
}

/**
 * "Runs out this month" (issue 15, Forecasts): a forecast run-out day within the period of `now`, as UTC
 * calendar days [fromDay, untilDay): the period's first day and the next period's first day, "YYYY-MM-DD".
 */
export function runsOutThisMonthDays(now: Date): { period: string; fromDay: string; untilDay: string } {
  const p = periodOf(now);
  return { period: p.id, fromDay: p.start.toISOString().slice(0, 10), untilDay: p.end.toISOString().slice(0, 10) };
}
