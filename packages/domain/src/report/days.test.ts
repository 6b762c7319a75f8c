import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error";
import { addDays, dayOf, defaultReportRange, maxReportRangeDays, parseDay, reportRange, startOfDay } from "./days";

describe("report days (UTC)", () => {
  it.each<[string, number]>([
    ["2026-01-08", Date.UTC(2026, 0, 8)],
    ["2028-02-29", Date.UTC(2028, 1, 29)],
    ["2026-12-31", Date.UTC(2026, 11, 31)],
  ])("parseDay(%s) is 00:00 UTC of that day", (day, ms) => {
    expect(parseDay(day, "from").getTime()).toBe(ms);
  });

  it.each(["2026-02-30", "2026-13-01", "2026-1-8", "yesterday", "2026-01-08T00:00:00Z", ""])("parseDay(%j) is refused naming the field", (day) => {
    expect(() => parseDay(day, "from")).toThrow(DomainError);
    expect(() => parseDay(day, "from")).toThrow(/^from: a UTC day as YYYY-MM-DD/);
  });

  it.each<[string, Date, string, number]>([
    ["noon", new Date(Date.UTC(2026, 0, 8, 12)), "2026-01-08", Date.UTC(2026, 0, 8)],
    ["midnight is the new day", new Date(Date.UTC(2026, 0, 9)), "2026-01-09", Date.UTC(2026, 0, 9)],
    ["the last millisecond", new Date(Date.UTC(2026, 0, 8, 23, 59, 59, 999)), "2026-01-08", Date.UTC(2026, 0, 8)],
  ])("%s: dayOf and startOfDay", (_, at, day, start) => {
    expect(dayOf(at)).toBe(day);
    expect(startOfDay(at).getTime()).toBe(start);
  });

  it("reportRange lists every day of [from, to], inclusive", () => {
    const r = reportRange("2026-01-30", "2026-02-02");
    expect(r.days.map(dayOf)).toEqual(["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]);
    expect(reportRange("2026-01-08", "2026-01-08").days.map(dayOf)).toEqual(["2026-01-08"]);
    expect(reportRange("2026-01-01", dayOf(addDays(new Date(Date.UTC(2026, 0, 1)), maxReportRangeDays - 1))).days).toHaveLength(maxReportRangeDays);
  });

  it.each<[string, string, string, RegExp]>([
    ["to before from", "2026-01-08", "2026-01-07", /^to: must not be before from/],
    ["a range too long", "2026-01-01", "2026-04-03", /^to: a range of at most 92 days/],
    ["a bad from", "2026-1-1", "2026-01-02", /^from:/],
    ["a bad to", "2026-01-01", "x", /^to:/],
  ])("%s is refused naming the field", (_, from, to, message) => {
    expect(() => reportRange(from, to)).toThrow(message);
  });

  it("the default range is the 7 whole days before today", () => {
    expect(defaultReportRange(new Date(Date.UTC(2026, 0, 8, 12)))).toEqual({ from: "2026-01-01", to: "2026-01-07" });
    expect(defaultReportRange(new Date(Date.UTC(2026, 2, 1)), 1)).toEqual({ from: "2026-02-28", to: "2026-02-28" });
  });
});
