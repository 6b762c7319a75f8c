import type { SubscriptionStatus } from "@seatdesk/domain";

const dateTime = new Intl.DateTimeFormat("en-US", {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZone: "UTC",
});

/** "Nov 26, 2026, 14:05 UTC": the console shows every instant in UTC, the zone the billing month is defined in. */
export function formatUtc(iso: string): string {
  return `${dateTime.format(new Date(iso))} UTC`;
}

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const usdWhole = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

/** "$40.00" */
export function formatMoney(cents: number): string {
  return usd.format(cents / 100);
}

/** "$40" when whole, for prices in a list. */
export function formatPrice(cents: number): string {
  return cents % 100 === 0 ? usdWhole.format(cents / 100) : usd.format(cents / 100);
}

const integer = new Intl.NumberFormat("en-US");

/** Centicredits (hundredths) to "2,000 credits". */
export function formatCredits(centicredits: number): string {
  return `${integer.format(centicredits / 100)} credits`;
}

/** "1 user", "3 users" */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${integer.format(count)} ${count === 1 ? one : many}`;
}

const day = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

/** "Jan 1": the day of a change that takes effect at 00:00 UTC on a 1st. */
export function formatDay(iso: string): string {
  return day.format(new Date(iso));
}

/** "+$180.00", "−$20.00", "$0.00": a change of money. */
export function formatDelta(cents: number): string {
  if (cents === 0) return formatMoney(0);
  return `${cents > 0 ? "+" : "−"}${formatMoney(Math.abs(cents))}`;
}

/** The statuses of DESIGN.md §2 as the console names them. */
export const statusLabels: Record<SubscriptionStatus, string> = {
  pending: "Pending",
  active: "Active",
  canceled: "Canceled",
};
