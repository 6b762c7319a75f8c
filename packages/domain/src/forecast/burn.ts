import { roundHalfUp } from "../money/round";

export const forecastMsPerDay = 86_400_000;
/** The burn rate's window: the last 7 complete UTC days (issue 15, Forecasts). */
export const burnWindowDays = 7;

/** The UTC day of an instant, "YYYY-MM-DD". */
export function forecastDay(at: Date | number): string {
  return new Date(typeof at === "number" ? at : at.getTime()).toISOString().slice(0, 10);
}

/** 00:00 UTC of the day `at` falls in. */
export function forecastDayStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / forecastMsPerDay) * forecastMsPerDay);
}

/**
 * The last 7 complete UTC days before `now`: [00:00 seven days before today, 00:00 today). Today is left
 * out because it is not over: a rate from part of a day would swing with the hour of the run.
 */
export function burnWindow(now: Date): { from: Date; to: Date } {
  const to = forecastDayStart(now);
  return { from: new Date(to.getTime() - burnWindowDays * forecastMsPerDay), to };
}

/**
 * Hundredths of a credit per day: everything consumed in the window (included, overage and unbilled
 * overshoot: what the user needs, not what was billed) ÷ 7, rounded half-up to a whole hundredth. The
 * divisor is always 7, even for a user subscribed during the window: a week's rate, never extrapolated
 * from one busy day.
 */
export function burnRateCcPerDay(windowCc: number): number {
  return roundHalfUp(windowCc, burnWindowDays);
}
