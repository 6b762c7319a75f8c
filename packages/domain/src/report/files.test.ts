import { describe, expect, it } from "vitest";
import { dayOf } from "./days";
import { activityFileName, dayFileAction, dayIsFinal, needsRewrite, reportDaysThrough, type WrittenDay } from "./files";

const jan8 = new Date(Date.UTC(2026, 0, 8));
const jan31 = new Date(Date.UTC(2026, 0, 31));
const open: WrittenDay = { events: 3, final: false };
const sealed: WrittenDay = { events: 3, final: true };

describe("the daily files and late events (issue 15)", () => {
  it.each<[string, Date, WrittenDay | null, Date, ReturnType<typeof dayFileAction>]>([
    ["the day has not ended", jan8, null, new Date(Date.UTC(2026, 0, 8, 23, 59)), "none"],
    ["ended, never written: write", jan8, null, new Date(Date.UTC(2026, 0, 9)), "write"],
    ["written while the month is open: wait for the close", jan8, open, new Date(Date.UTC(2026, 0, 20)), "none"],
    ["the month's grace window is running: still open", jan31, open, new Date(Date.UTC(2026, 1, 1, 0, 14)), "none"],
    ["the month has closed: check once more", jan31, open, new Date(Date.UTC(2026, 1, 1, 0, 15)), "final-check"],
    ["sealed: never again", jan31, sealed, new Date(Date.UTC(2026, 5, 1)), "none"],
  ])("%s", (_, day, written, now, action) => {
    expect(dayFileAction(day, written, now)).toBe(action);
  });

  it("a day is final once its period has closed; a rewrite only when events were added", () => {
    expect(dayIsFinal(jan31, new Date(Date.UTC(2026, 1, 1, 0, 14, 59)))).toBe(false);
    expect(dayIsFinal(jan31, new Date(Date.UTC(2026, 1, 1, 0, 15)))).toBe(true);
    expect(needsRewrite(open, 3)).toBe(false);
    expect(needsRewrite(open, 4)).toBe(true);
  });

  it("the days through now start on the profile's first day and end yesterday", () => {
    expect(reportDaysThrough(new Date(Date.UTC(2026, 0, 8, 12)), new Date(Date.UTC(2026, 0, 11, 0, 5))).map(dayOf)).toEqual(["2026-01-08", "2026-01-09", "2026-01-10"]);
    expect(reportDaysThrough(new Date(Date.UTC(2026, 0, 8, 12)), new Date(Date.UTC(2026, 0, 8, 23)))).toEqual([]);
    expect(activityFileName(jan8)).toBe("activity-2026-01-08.csv");
  });
});
