import { describe, expect, it } from "vitest";
import { formatCenticredits, formatCents } from "./format";

describe("formatCents: integer cents for people", () => {
  it.each([
    [123_456, "$1,234.56"],
    [5, "$0.05"],
    [0, "$0.00"],
    [2_000, "$20.00"],
    [100_000_000, "$1,000,000.00"],
    [-123_456, "-$1,234.56"],
    [-5, "-$0.05"],
  ])("%i → %s", (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });
});

describe("formatCenticredits: hundredths of a credit for people", () => {
  it.each([
    [123_456, "1,234.56"],
    [100_000, "1,000"],
    [110, "1.10"],
    [5, "0.05"],
    [1, "0.01"],
    [0, "0"],
    [1_000_000, "10,000"],
  ])("%i → %s", (cc, text) => {
    expect(formatCenticredits(cc)).toBe(text);
  });
  it.each([[-5, "-0.05"], [-123_456, "-1,234.56"], [-100_000, "-1,000"]])("a negative amount %i → %s, like formatCents", (cc, text) => {
    expect(formatCenticredits(cc)).toBe(text);
  });
});
