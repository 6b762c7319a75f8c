import { describe, expect, it } from "vitest";
import { burnRateCcPerDay, burnWindow, forecastDay, forecastDayStart } from "./burn";
import { neverReached, reachedAt, usedBy } from "./run-out";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const day = 86_400_000;

describe("burn rate over the last 7 complete UTC days (issue 15, Forecasts)", () => {
  it("the window is the 7 whole days before today, today left out", () => {
    expect(burnWindow(now)).toEqual({ from: new Date(Date.UTC(2026, 0, 1)), to: new Date(Date.UTC(2026, 0, 8)) });
    expect(burnWindow(new Date(Date.UTC(2026, 0, 8)))).toEqual({ from: new Date(Date.UTC(2026, 0, 1)), to: new Date(Date.UTC(2026, 0, 8)) });
    expect(forecastDayStart(now)).toEqual(new Date(Date.UTC(2026, 0, 8)));
    expect(forecastDay(now)).toBe("2026-01-08");
    expect(forecastDay(Date.UTC(2026, 1, 1) - 1)).toBe("2026-01-31");
  });

  it.each([
    [0, 0],
    [700, 100],
    [3, 0], // 0.43 → 0
    [4, 1], // 0.57 → 1
    [10, 1], // 1.43 → 1
    [11, 2], // 1.57 → 2
    [350_000, 50_000],
  ])("%i cc in the window is %i cc a day (rounded half-up)", (windowCc, rate) => {
    expect(burnRateCcPerDay(windowCc)).toBe(rate);
  });
});

describe("reachedAt / usedBy: even consumption from now, exact to the millisecond", () => {
  it.each<[string, number, number, number]>([
    ["nothing left: now", 0, 100, now.getTime()],
    ["below zero (an upgrade's room already used): now", -5, 100, now.getTime()],
    ["nothing burned: never", 100, 0, neverReached],
    ["a day's worth: one day later", 100, 100, now.getTime() + day],
    ["a third of a day, exact", 1, 3, now.getTime() + 28_800_000],
    ["rounded up to the millisecond (86,400,000 / 7 = 12,342,857.14)", 1, 7, now.getTime() + 12_342_858],
    ["62 days: the horizon itself", 6_200, 100, now.getTime() + 62 * day],
    ["63 days: past any period, never", 6_300, 100, neverReached],
    ["a budget of billions of cents stays exact", 2_500_000_000_000, 1, neverReached],
  ])("%s", (_, remaining, rate, at) => {
    expect(reachedAt(now.getTime(), remaining, rate)).toBe(at);
  });

  it.each<[string, number, number, number]>([
    ["a day at 100 cc", now.getTime() + day, 100, 100],
    ["half a day at 3 cc: 1.5 rounded down", now.getTime() + day / 2, 3, 1],
    ["not later than now", now.getTime(), 100, 0],
    ["no rate", now.getTime() + day, 0, 0],
  ])("usedBy: %s", (_, at, rate, used) => {
    expect(usedBy(now.getTime(), at, rate)).toBe(used);
  });
});
