import { describe, expect, it } from "vitest";
import { centicreditsPerCredit, maxEventCenticredits, parseCredits } from "./credits";

describe("parseCredits: credits to integer hundredths (DESIGN.md §2 Usage: ≥ 0.01, two decimals)", () => {
  it.each([
    ["1.1 → 110 without float drift (1.1 × 100 = 110.00000000000001)", 1.1, 110],
    ["0.01, the smallest event → 1", 0.01, 1],
    ["0.29 → 29 (0.29 × 100 = 28.999999999999996)", 0.29, 29],
    ["0.07 → 7 (0.07 × 100 = 7.000000000000001)", 0.07, 7],
    ["1000 → 100,000", 1000, 100_000],
    ["2.5 → 250", 2.5, 250],
    ["123.45 → 12,345", 123.45, 12_345],
    ["the largest event, 1,000,000 credits → 100,000,000", 1_000_000, 100_000_000],
  ])("%s", (_, value, expected) => {
    expect(parseCredits(value)).toBe(expected);
  });

  it("the largest event is 1,000,000 credits", () => {
    expect([centicreditsPerCredit, maxEventCenticredits]).toEqual([100, 100_000_000]);
  });

  it.each([
    ["0", 0, /at least 0\.01/],
    ["0.001 (below 0.01 and more than two decimals)", 0.001, /two decimals/],
    ["1.005 (three decimals)", 1.005, /two decimals/],
    ["0.015 (three decimals)", 0.015, /two decimals/],
    ["-1", -1, /at least 0\.01/],
    ["-0.01", -0.01, /at least 0\.01/],
    ["NaN", Number.NaN, /finite number/],
    ["Infinity", Number.POSITIVE_INFINITY, /finite number/],
    ["-Infinity", Number.NEGATIVE_INFINITY, /finite number/],
    ["above the largest event (1,000,000.01)", 1_000_000.01, /at most 1000000 in one event/],
    ["far above the largest event", 1e12, /at most 1000000 in one event/],
  ])("refuses %s with INVALID_INPUT naming the field", (_, value, message) => {
    expect(() => parseCredits(value)).toThrow(expect.objectContaining({ name: "DomainError", code: "INVALID_INPUT", field: "credits" }));
    expect(() => parseCredits(value)).toThrow(message);
  });

  it("refuses a value that is not a number at all", () => {
    expect(() => parseCredits("1" as unknown as number)).toThrow(expect.objectContaining({ code: "INVALID_INPUT", field: "credits" }));
  });

  it("names the field it was given, in the error and its message", () => {
    expect(() => parseCredits(0, "events[3].credits")).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT", field: "events[3].credits", message: "events[3].credits: must be at least 0.01" }),
    );
  });
});

describe("strict two decimals", () => {
  it.each([0.30000000000000004, 1.0000000001, 2.001])("refuses %s: more than two decimals", (v) => {
    expect(() => parseCredits(v)).toThrow(expect.objectContaining({ code: "INVALID_INPUT", field: "credits" }));
  });
});
