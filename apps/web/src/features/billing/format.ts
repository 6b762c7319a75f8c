import type { Catalog, TierId } from "@seatdesk/domain";
import { createElement, Fragment, type ReactNode } from "react";
import { tierName } from "../catalog/catalog";

const monthYear = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
const shortDay = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });

function periodStart(periodId: string): Date {
  const [y, m] = periodId.split("-").map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, 1));
}

/** "2026-05" → "May 2026" (a period is a calendar month in UTC). */
export function periodLabel(periodId: string): string {
  return monthYear.format(periodStart(periodId));
}

/** The day the period ends (its next 1st, in UTC): "Jun 1, 2026". */
export function periodEndLabel(periodId: string): string {
  const start = periodStart(periodId);
  return shortDay.format(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)));
}

const credits2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Centicredits as credits with two decimals, grouped: 81250 → "812.50". */
export function formatCreditAmount(centicredits: number): string {
  return credits2.format(centicredits / 100);
}

/** The server's catalog's name of a tier ("Pro+"); "—" for none. */
export function tierLabel(catalog: Catalog, id: TierId | null): string {
  if (!id) return "—";
  return tierName(catalog, id);
}

const creditsUpTo2 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** An allowance in credits, decimals only when it has them: 200000 → "2,000". */
export function formatAllowance(centicredits: number): string {
  return creditsUpTo2.format(centicredits / 100);
}

/** An e-mail address that may wrap after its "@" rather than anywhere in a narrow column. */
export function breakableEmail(email: string): ReactNode {
  const at = email.indexOf("@");
  if (at < 0) return email;
  return createElement(Fragment, null, email.slice(0, at + 1), createElement("wbr"), email.slice(at + 1));
}
