import { DomainError } from "../errors/domain-error";

/** Credits are metered to 0.01: stored as integer hundredths ("centicredits"). */
export const centicreditsPerCredit = 100;

/** The largest single event accepted: 1,000,000 credits. Far past any real request; guards arithmetic. */
export const maxEventCenticredits = 100_000_000;

/**
 * Parses credits given as a number with at most two decimals (≥ 0.01) into centicredits,
 * without floating-point drift (1.1 → 110, never 110.00000000000001).
 */
export function parseCredits(value: number, field = "credits"): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new DomainError("INVALID_INPUT", `${field}: must be a finite number`, field);
  // The number as it was written (JSON's shortest form): two decimals at most, so 0.3 passes and 0.30000000000000004 does not.
  if (value > 0 && value < 1e21 && !/^\d+(\.\d{1,2})?$/.test(String(value))) {
    throw new DomainError("INVALID_INPUT", `${field}: at most two decimals (0.01 credit)`, field);
  }
  const scaled = Math.round(value * centicreditsPerCredit);
  if (scaled < 1) throw new DomainError("INVALID_INPUT", `${field}: must be at least 0.01`, field);
  if (scaled > maxEventCenticredits) throw new DomainError("INVALID_INPUT", `${field}: at most ${maxEventCenticredits / centicreditsPerCredit} in one event`, field);
  return scaled;
}
