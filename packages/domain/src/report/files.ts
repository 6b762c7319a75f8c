import { isPeriodClosed } from "../time/grace";
import { periodOf } from "../time/period";
import { addDays, dayMs, dayOf, startOfDay } from "./days";

/** What the daily report job recorded for one profile and day (activity_report_files). */
export interface WrittenDay {
  /** Events the file counted. */
  events: number;
  /** Written (or checked) after the day's period closed: no event can be added to it any more. */
  final: boolean;
}

export type DayFileAction = "write" | "final-check" | "none";

/**
 * Late events (issue 15; decided here). A day's file is written at the first run after the day ends (00:00
 * UTC). Its period stays open for late events until the period's grace window passes (DESIGN.md §2 "Usage"),
 * so a file written while the period was open is checked once more after the period closes: rewritten, with a
 * new checksum in the manifest, when the day gained events, else sealed as it is. A sealed day is never
 * touched again. The API and the console's download always read live data.
 */
export function dayFileAction(day: Date, written: WrittenDay | null, now: Date, graceMs?: number): DayFileAction {
  if (now.getTime() < day.getTime() + dayMs) return "none";
  if (!written) return "write";
  if (written.final) return "none";
  return isPeriodClosed(periodOf(day), now, graceMs) ? "final-check" : "none";
}

/** Whether a file written at `now` for `day` is final: its period no longer accepts events. */
export function dayIsFinal(day: Date, now: Date, graceMs?: number): boolean {
  return isPeriodClosed(periodOf(day), now, graceMs);
}

/** After a final check: the day's file is rewritten only when its event count changed (events are only ever added). */
export function needsRewrite(written: WrittenDay, eventsNow: number): boolean {
  return written.events !== eventsNow;
}

/** The days the job considers for a profile: from the day it was created to the last day that has ended at `now`. */
export function reportDaysThrough(createdAt: Date, now: Date): Date[] {
  const first = startOfDay(createdAt);
  const last = addDays(startOfDay(now), -1);
  const days: Date[] = [];
  for (let d = first; d.getTime() <= last.getTime(); d = addDays(d, 1)) days.push(d);
  return days;
}

/** A day's file name inside the profile's folder. */
export function activityFileName(day: Date): string {
  return `activity-${dayOf(day)}.csv`;
}
