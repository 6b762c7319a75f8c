import { DomainError } from "../errors/domain-error";

/**
 * A period is a calendar month in UTC, [start of the 1st, start of the next 1st) (DESIGN.md §1).
 * An instant belongs to exactly one period: 00:00:00.000 on the 1st is the new month (edge case 1).
 */
export interface Period {
  /** "YYYY-MM" */
  id: string;
  start: Date;
  end: Date;
}

export function periodOf(instant: Date): Period {
  const y = instant.getUTCFullYear();
  const m = instant.getUTCMonth();
  return periodFromParts(y, m);
}

export function periodFromParts(year: number, monthIndex: number): Period {
  const start = new Date(Date.UTC(year, monthIndex, 1));
  const end = new Date(Date.UTC(year, monthIndex + 1, 1));
  const id = `${start.getUTCFullYear()}-${String(start.getUTCMonth() + 1).padStart(2, "0")}`;
  return { id, start, end };
}

export function nextPeriod(p: Period): Period {
  return periodOf(p.end);
}

export function daysInPeriod(p: Period): number {
  return Math.round((p.end.getTime() - p.start.getTime()) / 86_400_000);
}

/** The period before `p`. */
export function previousPeriod(p: Period): Period {
  return periodOf(new Date(p.start.getTime() - 1));
}

const periodIdPattern = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The period of a "YYYY-MM" id; refuses anything else, naming the field. */
export function periodFromId(id: string, field = "period"): Period {
  const m = periodIdPattern.exec(id);
  if (!m) throw new DomainError("INVALID_INPUT", `${field}: a month as YYYY-MM, got "${id}"`, field);
  return periodFromParts(Number(m[1]), Number(m[2]) - 1);
}
