import type { UserCharge } from "./charges";

export interface InvoiceLine extends UserCharge {
  userId: string;
  totalCents: number;
}

export interface Invoice {
  periodId: string;
  lines: InvoiceLine[];
  feesCents: number;
  overageCents: number;
  totalCents: number;
}

/**
 * A profile's invoice for one period (DESIGN.md §2, "invoice"): a line per charged user, in user
 * order; users who cost nothing (Pending all month, Canceled in an earlier month) have no line.
 * The total is the sum of the lines' already-rounded amounts.
 */
export function buildInvoice(periodId: string, charges: readonly (UserCharge & { userId: string })[]): Invoice {
  const lines = charges
    .filter((c) => c.feeCents > 0 || c.overageCents > 0)
    .map((c): InvoiceLine => ({
      // Listed, not spread: see computeCharge.
      userId: c.userId,
      periodId: c.periodId,
      feeTier: c.feeTier,
      feeCents: c.feeCents,
      proration: c.proration,
      allowanceCc: c.allowanceCc,
      includedCc: c.includedCc,
      overageCc: c.overageCc,
      overageCents: c.overageCents,
      unbilledCc: c.unbilledCc,
      totalCents: c.feeCents + c.overageCents,
    }))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  const feesCents = lines.reduce((s, l) => s + l.feeCents, 0);
  const overageCents = lines.reduce((s, l) => s + l.overageCents, 0);
  return { periodId, lines, feesCents, overageCents, totalCents: feesCents + overageCents };
}
