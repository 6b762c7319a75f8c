import { DomainError } from "../errors/domain-error";

/**
 * The one place money is rounded (DESIGN.md §2: "computed exactly and rounded half-up to the cent
 * once, per line"). Returns round-half-up(numerator / denominator) for non-negative integers.
 */
export function roundHalfUp(numerator: number, denominator: number): number {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 0 || denominator <= 0) {
    throw new DomainError("INVALID_INPUT", `roundHalfUp needs non-negative safe integers, got ${numerator}/${denominator}`);
  }
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}
