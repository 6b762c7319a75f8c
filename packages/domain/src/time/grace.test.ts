import { describe, expect, it } from "vitest";
import { defaultGraceMs, isPeriodClosed, lastClosablePeriod, maxFutureSkewMs, nextToClose, periodClosesAt, periodForEvent } from "./grace";
import { periodFromParts, type Period } from "./period";

const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0) => new Date(Date.UTC(y, m, d, h, min, s, ms));
const jan: Period = periodFromParts(2026, 0);
const feb: Period = periodFromParts(2026, 1);
const minute = 60_000;

describe("the grace window (DESIGN.md §2 Usage: a period stays open 15 minutes after its end)", () => {
  it("defaults: 15 minutes of grace, 5 minutes of clock skew", () => {
    expect([defaultGraceMs, maxFutureSkewMs]).toEqual([15 * minute, 5 * minute]);
  });

  it.each<[string, number | undefined, Date]>([
    ["by default a period closes 15 minutes after its end", undefined, utc(2026, 1, 1, 0, 15)],
    ["with a grace of 0 it closes at its end", 0, utc(2026, 1, 1)],
    ["with an hour of grace it closes an hour after its end", 60 * minute, utc(2026, 1, 1, 1)],
  ])("periodClosesAt: %s", (_, grace, expected) => {
    expect(periodClosesAt(jan, grace)).toEqual(expected);
  });

  it.each<[string, Date, number | undefined, boolean]>([
    ["open during the month", utc(2026, 0, 8, 12), undefined, false],
    ["open at its end, within the grace window", utc(2026, 1, 1), undefined, false],
    ["open 1 ms before the grace window passes", utc(2026, 1, 1, 0, 14, 59, 999), undefined, false],
    ["closed exactly when the grace window passes", utc(2026, 1, 1, 0, 15), undefined, true],
    ["closed after the grace window", utc(2026, 2, 1), undefined, true],
    ["with a grace of 0, closed at its end", utc(2026, 1, 1), 0, true],
  ])("isPeriodClosed: %s", (_, now, grace, closed) => {
    expect(isPeriodClosed(jan, now, grace)).toBe(closed);
  });
});

describe("periodForEvent: an event counts in the period it occurred in (edge case 1)", () => {
  it.each<[string, Date, Date, number | undefined, Period]>([
    ["an event now counts in this month", utc(2026, 0, 8, 12), utc(2026, 0, 8, 12), undefined, jan],
    ["an event at 23:59:59.999 on the 31st, received at 00:10, counts in its own (old) month", utc(2026, 0, 31, 23, 59, 59, 999), utc(2026, 1, 1, 0, 10), undefined, jan],
    ["an event 1 ms before the old month's grace window passes is still accepted in it", utc(2026, 0, 31, 23, 59), utc(2026, 1, 1, 0, 14, 59, 999), undefined, jan],
    ["an event at 00:00:00.000 on the 1st counts in the new month", utc(2026, 1, 1), utc(2026, 1, 1, 0, 1), undefined, feb],
    ["a client clock up to 5 minutes ahead is tolerated", utc(2026, 0, 8, 12, 5), utc(2026, 0, 8, 12), undefined, jan],
    ["an event slightly in the future across the month boundary counts in the new month", utc(2026, 1, 1, 0, 2), utc(2026, 0, 31, 23, 59), undefined, feb],
    ["a longer grace window keeps the old month open longer", utc(2026, 0, 31, 23), utc(2026, 1, 1, 0, 45), 60 * minute, jan],
  ])("%s", (_, occurredAt, now, grace, expected) => {
    expect(periodForEvent(occurredAt, now, grace)).toEqual(expected);
  });

  it.each<[string, Date, Date]>([
    ["an event for the old month at the end of its grace window", utc(2026, 0, 31, 23, 59), utc(2026, 1, 1, 0, 15)],
    ["an event for the old month after its grace window", utc(2026, 0, 20), utc(2026, 1, 3)],
    ["an event two months old", utc(2025, 11, 31, 23, 59), utc(2026, 1, 1)],
  ])("refuses %s with PERIOD_CLOSED naming occurredAt", (_, occurredAt, now) => {
    expect(() => periodForEvent(occurredAt, now)).toThrow(expect.objectContaining({ name: "DomainError", code: "PERIOD_CLOSED", field: "occurredAt" }));
  });

  it("the PERIOD_CLOSED message names the period and when it closed", () => {
    expect(() => periodForEvent(utc(2026, 0, 31, 23, 59), utc(2026, 1, 1, 0, 15))).toThrow(
      "occurredAt: the period 2026-01 closed at 2026-02-01T00:15:00.000Z; late events are no longer accepted",
    );
  });

  it("with a grace of 0 the old month closes at its end", () => {
    expect(() => periodForEvent(utc(2026, 0, 31, 23, 59), utc(2026, 1, 1), 0)).toThrow(expect.objectContaining({ code: "PERIOD_CLOSED", field: "occurredAt" }));
  });

  it.each<[string, Date, Date]>([
    ["more than 5 minutes in the future", utc(2026, 0, 8, 12, 5, 0, 1), utc(2026, 0, 8, 12)],
    ["a day in the future", utc(2026, 0, 9, 12), utc(2026, 0, 8, 12)],
  ])("refuses an event %s with EVENT_IN_FUTURE naming occurredAt", (_, occurredAt, now) => {
    expect(() => periodForEvent(occurredAt, now)).toThrow(expect.objectContaining({ name: "DomainError", code: "EVENT_IN_FUTURE", field: "occurredAt" }));
  });

  it("names the field it was given", () => {
    expect(() => periodForEvent(utc(2026, 0, 9, 12), utc(2026, 0, 8, 12), defaultGraceMs, "events[2].occurredAt")).toThrow(
      expect.objectContaining({ code: "EVENT_IN_FUTURE", field: "events[2].occurredAt", message: "events[2].occurredAt: 2026-01-09T12:00:00.000Z is in the future" }),
    );
    expect(() => periodForEvent(utc(2026, 0, 20), utc(2026, 1, 3), defaultGraceMs, "events[0].occurredAt")).toThrow(
      expect.objectContaining({ code: "PERIOD_CLOSED", field: "events[0].occurredAt" }),
    );
  });
});

describe("lastClosablePeriod: every period up to it has passed its grace window", () => {
  const dec2025 = periodFromParts(2025, 11);
  const nov2025 = periodFromParts(2025, 10);
  it.each<[string, Date, number | undefined, Period]>([
    ["mid-February: January", utc(2026, 1, 10, 12), undefined, jan],
    ["on Feb 1 at 00:00, January is still in its grace window: December", utc(2026, 1, 1), undefined, dec2025],
    ["1 ms before January's grace window passes: December", utc(2026, 1, 1, 0, 14, 59, 999), undefined, dec2025],
    ["when January's grace window passes: January", utc(2026, 1, 1, 0, 15), undefined, jan],
    ["on the last instant of February: January", utc(2026, 1, 28, 23, 59, 59, 999), undefined, jan],
    ["on Jan 1 at 00:00, December is in its grace window: November of the year before", utc(2026, 0, 1), undefined, nov2025],
    ["with a grace of 0, at 00:00 on the 1st: the month just ended", utc(2026, 1, 1), 0, jan],
    ["with an hour of grace, at 00:30 on the 1st: the month before the one just ended", utc(2026, 1, 1, 0, 30), 60 * minute, dec2025],
  ])("%s", (_, now, grace, expected) => {
    expect(lastClosablePeriod(now, grace)).toEqual(expected);
  });
});

describe("nextToClose: the first period a profile must close", () => {
  it.each<[string, { createdAt: Date; closedThrough: string | null }, Period]>([
    ["never closed: the month it was created in", { createdAt: utc(2026, 0, 8, 12), closedThrough: null }, jan],
    ["created at 00:00 on the 1st: that month (edge case 1)", { createdAt: utc(2026, 1, 1), closedThrough: null }, feb],
    ["closed through January: February", { createdAt: utc(2025, 5, 3), closedThrough: "2026-01" }, feb],
    ["closed through December: January of the next year", { createdAt: utc(2025, 5, 3), closedThrough: "2025-12" }, jan],
  ])("%s", (_, profile, expected) => {
    expect(nextToClose(profile)).toEqual(expected);
  });

  it("refuses a malformed closedThrough with INVALID_INPUT naming it", () => {
    expect(() => nextToClose({ createdAt: utc(2026, 0, 8), closedThrough: "2026-1" })).toThrow(
      expect.objectContaining({ name: "DomainError", code: "INVALID_INPUT", field: "closedThrough", message: 'closedThrough: a month as YYYY-MM, got "2026-1"' }),
    );
  });
});
