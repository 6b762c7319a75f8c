import { DomainError } from "../errors/domain-error";

/**
 * A profile's idle-seat automation (issue 15, "Idle seats"): warn after `warnDays` idle, deactivate the plan
 * `deactivateDays` after the warning if still idle, let Pending seats that never activate expire after
 * `expireDays`. Each is off (null) by default.
 */
export interface IdleSettings {
  warnDays: number | null;
  deactivateDays: number | null;
  expireDays: number | null;
}

export const idleSettingsOff: IdleSettings = { warnDays: null, deactivateDays: null, expireDays: null };

/** Every idle threshold is a whole number of days in this range: a year is the longest an admin waits. */
export const idleDaysMin = 1;
export const idleDaysMax = 365;

const fields = ["warnDays", "deactivateDays", "expireDays"] as const;

/**
 * Checks a setting and returns it: each value null or a whole number of days from 1 to 365, and a
 * deactivation only after a warning (nobody's plan is deactivated without being warned first).
 * The field names the value that is wrong.
 */
export function validateIdleSettings(s: IdleSettings, fieldNames: Record<keyof IdleSettings, string> = { warnDays: "warnDays", deactivateDays: "deactivateDays", expireDays: "expireDays" }): IdleSettings {
  for (const f of fields) {
    const v = s[f];
    if (v !== null && (!Number.isInteger(v) || v < idleDaysMin || v > idleDaysMax)) {
      throw new DomainError("INVALID_INPUT", `${fieldNames[f]}: a whole number of days from ${idleDaysMin} to ${idleDaysMax}, or null for off`, fieldNames[f]);
    }
  }
  if (s.deactivateDays !== null && s.warnDays === null) {
    throw new DomainError("INVALID_INPUT", `${fieldNames.deactivateDays}: plans are deactivated only after a warning; set ${fieldNames.warnDays} too`, fieldNames.deactivateDays);
  }
  return s;
}

/** The automation acts at all: a warning or an expiry is set (a deactivation needs a warning). */
export function idleAutomationOn(s: IdleSettings): boolean {
  return s.warnDays !== null || s.expireDays !== null;
}

/**
 * The fewest idle days after which the setting can act on a seat: a warned seat is deactivated only when it
 * has been idle since before its warning, `deactivateDays` ago at least, so no seat idle for less than the
 * smallest threshold is ever acted on. Lets a reader skip seats that cannot be acted on; null when off.
 */
export function idleActionFloorDays(s: IdleSettings): number | null {
  const set = fields.map((f) => s[f]).filter((v): v is number => v !== null);
  return set.length === 0 ? null : Math.min(...set);
}
