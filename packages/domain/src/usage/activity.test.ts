import { describe, expect, it } from "vitest";
import { lastActiveCutoff, matchesLastActive, runsOutThisMonthDays, type LastActiveFilterKind } from "./activity";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const utc = (m: number, d: number, h = 0, ms = 0) => new Date(Date.UTC(2026, m, d, h, 0, 0, ms));

describe("lastActiveCutoff: N whole days before now (issue 15, Idle seats)", () => {
  it.each<[number, Date]>([
    [1, utc(0, 7, 12)],
    [7, utc(0, 1, 12)],
    [30, new Date(Date.UTC(2025, 11, 9, 12))],
  ])("%i days", (days, expected) => {
    expect(lastActiveCutoff(now, days)).toEqual(expected);
  });

  it.each([0, -1, 1.5, 3651, Number.NaN])("refuses %s days, naming the field", (days) => {
    expect(() => lastActiveCutoff(now, days)).toThrow(expect.objectContaining({ code: "INVALID_INPUT", field: "days" }));
  });
});

describe("matchesLastActive: idle, within, never", () => {
  const cases: [string, Date | null, LastActiveFilterKind, number | undefined, boolean][] = [
    ["idle 7: last active 8 days ago", utc(0, 0 + 0, 12), "idle", 7, true],
    ["idle 7: last active exactly at the cutoff (7 whole days)", utc(0, 1, 12), "idle", 7, true],
    ["idle 7: last active 1 ms after the cutoff is not idle yet", new Date(utc(0, 1, 12).getTime() + 1), "idle", 7, false],
    ["idle 7: last active yesterday", utc(0, 7, 12), "idle", 7, false],
    ["idle 7: never active is not idle (the never filter finds them)", null, "idle", 7, false],
    ["within 7: exactly at the cutoff is idle, not within", utc(0, 1, 12), "within", 7, false],
    ["within 7: 1 ms after the cutoff", new Date(utc(0, 1, 12).getTime() + 1), "within", 7, true],
    ["within 7: yesterday", utc(0, 7, 12), "within", 7, true],
    ["within 7: 8 days ago", utc(0, 0, 12), "within", 7, false],
    ["within 7: never active", null, "within", 7, false],
    ["never: never active", null, "never", undefined, true],
    ["never: active once", utc(0, 7, 12), "never", undefined, false],
  ];
  it.each(cases)("%s", (_, lastActiveAt, kind, days, expected) => {
    expect(matchesLastActive(lastActiveAt, { kind, days }, now)).toBe(expected);
  });

  it("idle and within without days are refused, naming the field", () => {
    expect(() => matchesLastActive(null, { kind: "idle" }, now)).toThrow(expect.objectContaining({ code: "INVALID_INPUT", field: "days" }));
    expect(() => matchesLastActive(now, { kind: "within" }, now)).toThrow(expect.objectContaining({ field: "days" }));
  });
});

describe("runsOutThisMonthDays: the days of now's period", () => {
  it.each<[Date, { period: string; fromDay: string; untilDay: string }]>([
    [now, { period: "2026-01", fromDay: "2026-01-01", untilDay: "2026-02-01" }],
    [utc(1, 28, 23), { period: "2026-02", fromDay: "2026-02-01", untilDay: "2026-03-01" }],
    [new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), { period: "2026-12", fromDay: "2026-12-01", untilDay: "2027-01-01" }],
    [utc(2, 1), { period: "2026-03", fromDay: "2026-03-01", untilDay: "2026-04-01" }],
  ])("%s", (at, expected) => {
    expect(runsOutThisMonthDays(at)).toEqual(expected);
  });
});
