import { DomainError } from "../errors/domain-error";

/** At most this many users or groups in one call (issue: "up to 1,000 targets ... one transaction"). */
export const maxTargetsPerCall = 1_000;

/** Refuses an empty or oversized batch of targets, naming the field. */
export function assertTargetCount(count: number, field: string): void {
  if (count < 1) throw new DomainError("INVALID_INPUT", `${field}: choose at least one`, field);
  if (count > maxTargetsPerCall) {
    throw new DomainError("TOO_MANY_TARGETS", `${field}: at most ${maxTargetsPerCall} in one call, got ${count}`, field);
  }
}
