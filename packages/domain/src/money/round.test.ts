import { describe, expect, it } from "vitest";
import { roundHalfUp } from "./round";

describe("roundHalfUp: the one place money is rounded (DESIGN.md §2, half-up to the cent once per line)", () => {
  it.each([
    ["zero stays zero", 0, 7, 0],
    ["an exact quotient is unchanged", 600, 100, 6],
    ["exactly one half rounds up: 1/2 → 1", 1, 2, 1],
    ["exactly one half rounds up: 5/2 → 3 (not to even)", 5, 2, 3],
    ["just under a half rounds down: 249/100 → 2", 249, 100, 2],
    ["a half rounds up: 250/100 → 3", 250, 100, 3],
    ["just over a half rounds up: 251/100 → 3", 251, 100, 3],
    ["below one half of a cent rounds to 0: 49/100 → 0", 49, 100, 0],
    ["a third rounds down: 20000/30 → 667 (666.67)", 20_000, 30, 667],
    ["4.48 cents → 4", 448, 100, 4],
    ["4.52 cents → 5", 452, 100, 5],
    ["a denominator of 1 is the identity", 12_345, 1, 12_345],
  ])("%s", (_, numerator, denominator, expected) => {
    expect(roundHalfUp(numerator, denominator)).toBe(expected);
  });

  it.each([
    ["a negative numerator", -1, 2],
    ["a negative denominator", 1, -2],
    ["a zero denominator", 1, 0],
    ["a non-integer numerator", 1.5, 2],
    ["a non-integer denominator", 3, 2.5],
    ["NaN", Number.NaN, 2],
    ["Infinity", Number.POSITIVE_INFINITY, 2],
    ["a numerator past the safe integers", Number.MAX_SAFE_INTEGER + 1, 2],
  ])("refuses %s with INVALID_INPUT", (_, numerator, denominator) => {
    expect(() => roundHalfUp(numerator, denominator)).toThrow(expect.objectContaining({ name: "DomainError", code: "INVALID_INPUT" }));
  });
});
