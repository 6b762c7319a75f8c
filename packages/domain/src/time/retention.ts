import { DomainError } from "../errors/domain-error";
import { periodFromParts, type Period } from "./period";

/**
 * Usage retention (README "Configuration", SEATDESK_USAGE_RETENTION_MONTHS): with `months` months kept, the
 * period of `now` and the `months` periods before it keep their events in the live tables; every earlier
 * period may be archived. At least one month before the current one is kept, so a period whose grace window
 * may still be open (DESIGN.md §2 Usage) is never archived, and whatever is archived is closed to new events.
 */
export function firstRetainedPeriod(now: Date, months: number): Period {
  if (!Number.isSafeInteger(months) || months < 1) {
    throw new DomainError("INVALID_INPUT", `retentionMonths: a whole number of months from 1, got ${months}`, "retentionMonths");
  }
  return periodFromParts(now.getUTCFullYear(), now.getUTCMonth() - months);
}
