import { budgetInCenticredits, centicreditsPerCredit, overageCostCents, type Catalog, type OverageSwitch } from "@seatdesk/domain";
import { centsToDecimal } from "../../lib/csv";
import { errorMessage } from "../../lib/errors";
import { formatCredits, formatMoney } from "../../lib/format";
import type { WireCap } from "./settings-types";

/** Credits as the API gives them (two decimals at most) to "1,250.5 credits". */
export function formatWireCredits(credits: number): string {
  return formatCredits(toCenticredits(credits));
}

/** Credits as the API and the forms give them (two decimals at most) in centicredits: 250.5 → 25050. */
function toCenticredits(credits: number): number {
  return Math.round(credits * centicreditsPerCredit);
}

/**
 * What a number of overage credits costs at most, at the server's overage price: "$20.00". The domain prices
 * it, exactly and rounded once as an invoice line is (DESIGN.md §2, "overage fee").
 */
export function overageMoney(catalog: Catalog, credits: number): string {
  return formatMoney(overageCostCents(catalog, toCenticredits(credits)));
}

/** The credits of overage a monthly budget buys at the server's overage price, as the domain counts them: "2,500 credits". */
export function budgetCredits(catalog: Catalog, budgetCents: number): string {
  return formatCredits(budgetInCenticredits(catalog, budgetCents));
}

export function formatCap(cap: WireCap): string {
  return cap === "unlimited" ? "Unlimited" : formatWireCredits(cap);
}

export const overageSwitchLabels: Record<OverageSwitch, string> = {
  inherit: "Follows the profile",
  on: "Always allowed",
  off: "Never allowed",
};

/** Credits typed by a person: "1,250.5" → 1250.5; an explanation when it is not a number of credits. */
export function parseCreditsInput(text: string): { value: number } | { error: string } {
  const clean = text.trim().replace(/,/g, "");
  if (clean === "") return { error: "Enter a number of credits." };
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return { error: "Enter a number of credits of 0 or more, with at most two decimals (like 500 or 250.5)." };
  return { value: Number(clean) };
}

/** Dollars typed by a person: "$1,500.50" → 150050 cents, exactly (no floating point). */
export function parseDollarsInput(text: string): { cents: number } | { error: string } {
  const clean = text.trim().replace(/^\$/, "").replace(/,/g, "");
  if (clean === "") return { error: "Enter an amount in US dollars." };
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(clean);
  if (!match) return { error: "Enter an amount in US dollars of 0 or more, with at most two decimals (like 500 or 49.99)." };
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? "").padEnd(2, "0"));
  return { cents: whole * 100 + cents };
}

/** Cents to what a person types back: 150050 → "1500.50", 50000 → "500". */
export function centsToInput(cents: number): string {
  return cents % 100 === 0 ? String(cents / 100) : centsToDecimal(cents);
}

/**
 * The server's message, for showing next to the field it is about: "defaultCapCredits: at most …"
 * loses the API's field name (the field is right there) and keeps every word the server said.
 */
export function fieldErrorMessage(error: unknown, field: string): string {
  const message = errorMessage(error);
  const prefix = `${field}: `;
  if (!message.startsWith(prefix)) return message;
  const rest = message.slice(prefix.length);
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}
