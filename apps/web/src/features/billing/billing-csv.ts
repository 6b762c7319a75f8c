import type { Catalog } from "@seatdesk/domain";
import { centicreditsToDecimal, centsToDecimal, toCsv } from "../../lib/csv";
import { tierLabel } from "./format";
import type { BillLineView } from "./types";

/** The columns of a bill's CSV: money in decimal US dollars, credits in decimal credits, both with two decimals. */
export const billCsvHeader = [
  "User",
  "E-mail",
  "User ID",
  "Tier",
  "Subscription fee (USD)",
  "Prorated days",
  "Days in month",
  "Allowance (credits)",
  "Included credits",
  "Overage credits",
  "Unbilled credits",
  "Overage fee (USD)",
  "Total (USD)",
] as const;

/** Every line of a bill as CSV text, one row per line under a header row; tier names from the server's catalog. */
export function billCsv(catalog: Catalog, lines: readonly BillLineView[]): string {
  return toCsv(
    billCsvHeader,
    lines.map((l) => [
      l.displayName,
      l.email,
      l.userId,
      l.feeTier ? tierLabel(catalog, l.feeTier) : "",
      centsToDecimal(l.feeCents),
      l.proration ? l.proration.days : "",
      l.proration ? l.proration.daysInMonth : "",
      centicreditsToDecimal(l.allowanceCc),
      centicreditsToDecimal(l.includedCc),
      centicreditsToDecimal(l.overageCc),
      centicreditsToDecimal(l.unbilledCc),
      centsToDecimal(l.overageCents),
      centsToDecimal(l.totalCents),
    ]),
  );
}
