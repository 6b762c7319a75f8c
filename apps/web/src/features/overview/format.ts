const monthYear = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
const monthOnly = new Intl.DateTimeFormat("en-US", { month: "long", timeZone: "UTC" });
const shortDay = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const longDay = new Intl.DateTimeFormat("en-US", { weekday: "short", month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
const integer = new Intl.NumberFormat("en-US");
const credits = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 0 });

const startOf = (periodId: string) => new Date(`${periodId}-01T00:00:00Z`);

/** "2026-01" → "January 2026" */
export const periodName = (periodId: string) => monthYear.format(startOf(periodId));
/** "2026-01" → "January" */
export const monthOf = (periodId: string) => monthOnly.format(startOf(periodId));
/** "2026-01-08" → "Jan 8" (a UTC day). */
export const dayShort = (day: string) => shortDay.format(new Date(`${day}T00:00:00Z`));
/** "2026-01-08" → "Thu, Jan 8, 2026" */
export const dayLong = (day: string) => longDay.format(new Date(`${day}T00:00:00Z`));
export const formatCount = (n: number) => integer.format(n);
/** Centicredits as a number of credits, up to two decimals: 102013 → "1,020.13". */
export const creditNumber = (cc: number) => credits.format(cc / 100);
export const formatPercent = (ratio: number) => percent.format(ratio);
