const day = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });

/** "Jan 11, 2026" from a UTC day as the server gives it ("2026-01-11"). */
export function formatForecastDay(isoDay: string): string {
  return day.format(new Date(`${isoDay}T00:00:00Z`));
}

/** Which limit stops the user, in words. */
export const stopReasonLabels: Record<string, string> = {
  allowance: "the allowance runs out and overage is off for them",
  cap: "their overage cap is reached",
  budget: "the profile's overage budget is used up",
};
