import { DomainError } from "../errors/domain-error";

/** One UTC day in ms. */
export const dayMs = 86_400_000;
/** The longest range one report request may ask for (issue 15: the API and the download page through it). */
export const maxReportRangeDays = 92;

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The start (00:00 UTC) of a YYYY-MM-DD day; refuses anything else, naming the field. */
export function parseDay(value: string, field: string): Date {
  const m = dayPattern.exec(value);
  const at = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!at || dayOf(at) !== value) throw new DomainError("INVALID_INPUT", `${field}: a UTC day as YYYY-MM-DD, got "${value}"`, field);
  return at;
}

/** The UTC day an instant falls on, YYYY-MM-DD (00:00:00.000 is the new day, as edge case 1 has it for months). */
export function dayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** 00:00 UTC of the instant's day. */
export function startOfDay(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / dayMs) * dayMs);
}

export function addDays(day: Date, n: number): Date {
  return new Date(day.getTime() + n * dayMs);
}

/**
 * A report's range [from, to], both whole UTC days, inclusive (issue 15). `to` before `from`, or more than
 * maxReportRangeDays days, is refused naming `to`. Returns the days' starts, in order.
 */
export function reportRange(from: string, to: string): { from: Date; to: Date; days: Date[] } {
  const start = parseDay(from, "from");
  const end = parseDay(to, "to");
  const count = Math.round((end.getTime() - start.getTime()) / dayMs) + 1;
  if (count < 1) throw new DomainError("INVALID_INPUT", `to: must not be before from (${from})`, "to");
  if (count > maxReportRangeDays) throw new DomainError("INVALID_INPUT", `to: a range of at most ${maxReportRangeDays} days (${from} to ${to} is ${count})`, "to");
  return { from: start, to: end, days: Array.from({ length: count }, (_, i) => addDays(start, i)) };
}

/** The console's default range: the last `days` whole UTC days before `now`'s day (yesterday back). */
export function defaultReportRange(now: Date, days = 7): { from: string; to: string } {
  const today = startOfDay(now);
  return { from: dayOf(addDays(today, -days)), to: dayOf(addDays(today, -1)) };
}
