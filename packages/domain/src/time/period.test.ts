import { describe, expect, it } from "vitest";
import { daysInPeriod, nextPeriod, periodFromId, periodFromParts, periodOf, previousPeriod, type Period } from "./period";

const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0) => new Date(Date.UTC(y, m, d, h, min, s, ms));
const period = (id: string, start: Date, end: Date): Period => ({ id, start, end });
const jan2026 = period("2026-01", utc(2026, 0, 1), utc(2026, 1, 1));

describe("periodOf: a calendar month in UTC (DESIGN.md §1; edge case 1)", () => {
  it.each<[string, Date, Period]>([
    ["a fixed instant mid-month", utc(2026, 0, 8, 12), jan2026],
    ["edge case 1: 00:00:00.000 on the 1st is the new month", utc(2026, 1, 1), period("2026-02", utc(2026, 1, 1), utc(2026, 2, 1))],
    ["edge case 1: 23:59:59.999 on the 31st is the old month", utc(2026, 0, 31, 23, 59, 59, 999), jan2026],
    ["00:00:00.000 on January 1st is the new year's first month", utc(2027, 0, 1), period("2027-01", utc(2027, 0, 1), utc(2027, 1, 1))],
    ["December ends at January 1st of the next year", utc(2026, 11, 15), period("2026-12", utc(2026, 11, 1), utc(2027, 0, 1))],
    ["a leap February ends on March 1st", utc(2028, 1, 29, 23, 59), period("2028-02", utc(2028, 1, 1), utc(2028, 2, 1))],
    ["UTC decides, not a local offset: 23:30 on Jan 31 at UTC-5 is already Feb 1 in UTC", new Date("2026-01-31T23:30:00-05:00"), period("2026-02", utc(2026, 1, 1), utc(2026, 2, 1))],
  ])("%s", (_, instant, expected) => {
    expect(periodOf(instant)).toEqual(expected);
  });
});

describe("periodFromParts", () => {
  it.each<[string, number, number, Period]>([
    ["a month by its zero-based index", 2026, 0, jan2026],
    ["a two-digit month id", 2026, 9, period("2026-10", utc(2026, 9, 1), utc(2026, 10, 1))],
    ["December", 2026, 11, period("2026-12", utc(2026, 11, 1), utc(2027, 0, 1))],
    ["a month index past December rolls into the next year", 2026, 12, period("2027-01", utc(2027, 0, 1), utc(2027, 1, 1))],
    ["a month index before January rolls back into the previous year", 2026, -1, period("2025-12", utc(2025, 11, 1), utc(2026, 0, 1))],
  ])("%s", (_, year, monthIndex, expected) => {
    expect(periodFromParts(year, monthIndex)).toEqual(expected);
  });
});

describe("nextPeriod", () => {
  it.each<[string, Period, Period]>([
    ["January → February", jan2026, period("2026-02", utc(2026, 1, 1), utc(2026, 2, 1))],
    ["December → January of the next year", period("2026-12", utc(2026, 11, 1), utc(2027, 0, 1)), period("2027-01", utc(2027, 0, 1), utc(2027, 1, 1))],
  ])("%s", (_, p, expected) => {
    expect(nextPeriod(p)).toEqual(expected);
  });

  it("a period's end is its successor's start: periods tile time with no gap or overlap", () => {
    let p = jan2026;
    for (let i = 0; i < 30; i++) {
      const n = nextPeriod(p);
      expect(n.start).toEqual(p.end);
      p = n;
    }
    expect(p.id).toBe("2028-07");
  });
});

describe("daysInPeriod", () => {
  it.each<[string, Period, number]>([
    ["January has 31 days", jan2026, 31],
    ["April has 30 days", periodFromParts(2026, 3), 30],
    ["February 2026 has 28 days", periodFromParts(2026, 1), 28],
    ["leap February 2028 has 29 days", periodFromParts(2028, 1), 29],
    ["February 2100 is not a leap month: 28 days", periodFromParts(2100, 1), 28],
    ["February 2000 is a leap month: 29 days", periodFromParts(2000, 1), 29],
    ["December has 31 days", periodFromParts(2026, 11), 31],
  ])("%s", (_, p, days) => {
    expect(daysInPeriod(p)).toBe(days);
  });
});

describe("previousPeriod", () => {
  it.each<[string, Period, Period]>([
    ["February → January", period("2026-02", utc(2026, 1, 1), utc(2026, 2, 1)), jan2026],
    ["January → December of the previous year", jan2026, period("2025-12", utc(2025, 11, 1), utc(2026, 0, 1))],
    ["March 2028 → leap February 2028 (29 days)", periodFromParts(2028, 2), period("2028-02", utc(2028, 1, 1), utc(2028, 2, 1))],
  ])("%s", (_, p, expected) => {
    expect(previousPeriod(p)).toEqual(expected);
  });

  it("undoes nextPeriod, across years", () => {
    let p = jan2026;
    for (let i = 0; i < 30; i++) {
      expect(previousPeriod(nextPeriod(p))).toEqual(p);
      p = previousPeriod(p);
    }
    expect(p.id).toBe("2023-07");
  });
});

describe("periodFromId: a month from its YYYY-MM id", () => {
  it.each<[string, string, Period]>([
    ["January", "2026-01", jan2026],
    ["December ends at January 1st of the next year", "2026-12", period("2026-12", utc(2026, 11, 1), utc(2027, 0, 1))],
    ["leap February", "2028-02", period("2028-02", utc(2028, 1, 1), utc(2028, 2, 1))],
  ])("%s", (_, id, expected) => {
    expect(periodFromId(id)).toEqual(expected);
  });

  it.each(["2026-1", "2026-13", "2026-00", "26-01", "2026-01-01", "", " 2026-01", "2026/01", "abcd-ef"])("refuses %j with INVALID_INPUT naming the field", (id) => {
    expect(() => periodFromId(id)).toThrow(expect.objectContaining({ name: "DomainError", code: "INVALID_INPUT", field: "period", message: `period: a month as YYYY-MM, got "${id}"` }));
  });

  it("names the field it was given", () => {
    expect(() => periodFromId("2026-13", "periodId")).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT", field: "periodId", message: 'periodId: a month as YYYY-MM, got "2026-13"' }),
    );
  });
});
