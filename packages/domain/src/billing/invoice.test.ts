import { describe, expect, it } from "vitest";
import type { UserCharge } from "./charges";
import { buildInvoice } from "./invoice";

const charge = (userId: string, over: Partial<UserCharge> = {}): UserCharge & { userId: string } => ({
  userId,
  periodId: "2026-01",
  feeTier: "pro",
  feeCents: 2_000,
  proration: null,
  allowanceCc: 100_000,
  includedCc: 0,
  overageCc: 0,
  overageCents: 0,
  unbilledCc: 0,
  ...over,
});

describe("buildInvoice: one per profile per period (DESIGN.md §2)", () => {
  it("a line per charged user, sorted by user, totals the sum of the lines' rounded amounts", () => {
    const invoice = buildInvoice("2026-01", [
      charge("carol", { feeTier: "power", feeCents: 20_000, allowanceCc: 1_000_000 }),
      charge("alice", { includedCc: 100_000, overageCc: 113, overageCents: 5 }),
      charge("bob", { feeTier: "pro_plus", feeCents: 1_333, proration: { days: 10, daysInMonth: 30 }, allowanceCc: 200_000, includedCc: 200_000, overageCc: 112, overageCents: 4 }),
    ]);
    expect(invoice).toEqual({
      periodId: "2026-01",
      lines: [
        { ...charge("alice", { includedCc: 100_000, overageCc: 113, overageCents: 5 }), totalCents: 2_005 },
        { ...charge("bob", { feeTier: "pro_plus", feeCents: 1_333, proration: { days: 10, daysInMonth: 30 }, allowanceCc: 200_000, includedCc: 200_000, overageCc: 112, overageCents: 4 }), totalCents: 1_337 },
        { ...charge("carol", { feeTier: "power", feeCents: 20_000, allowanceCc: 1_000_000 }), totalCents: 20_000 },
      ],
      feesCents: 23_333,
      overageCents: 9,
      totalCents: 23_342,
    });
  });

  it("drops lines that cost nothing (Pending all month, Canceled in an earlier month), even with unbilled overshoot", () => {
    const free = charge("dave", { feeTier: null, feeCents: 0, allowanceCc: 0, unbilledCc: 500 });
    const invoice = buildInvoice("2026-01", [free, charge("erin")]);
    expect(invoice).toEqual({ periodId: "2026-01", lines: [{ ...charge("erin"), totalCents: 2_000 }], feesCents: 2_000, overageCents: 0, totalCents: 2_000 });
  });

  it("keeps a line that has only an overage charge", () => {
    const overageOnly = charge("frank", { feeTier: null, feeCents: 0, allowanceCc: 0, overageCc: 150, overageCents: 6 });
    expect(buildInvoice("2026-01", [overageOnly])).toEqual({ periodId: "2026-01", lines: [{ ...overageOnly, totalCents: 6 }], feesCents: 0, overageCents: 6, totalCents: 6 });
  });

  it("an invoice with no charged user is empty and zero", () => {
    expect(buildInvoice("2026-02", [charge("gina", { feeTier: null, feeCents: 0 })])).toEqual({ periodId: "2026-02", lines: [], feesCents: 0, overageCents: 0, totalCents: 0 });
    expect(buildInvoice("2026-02", [])).toEqual({ periodId: "2026-02", lines: [], feesCents: 0, overageCents: 0, totalCents: 0 });
  });

  it("sorts by user id in code-unit order, whatever the input order", () => {
    const ids = ["u-10", "U-2", "u-1", "u-2", "u-10"];
    const invoice = buildInvoice("2026-01", ids.map((id) => charge(id)));
    expect(invoice.lines.map((l) => l.userId)).toEqual(["U-2", "u-1", "u-10", "u-10", "u-2"]);
    expect(invoice.totalCents).toBe(5 * 2_000);
  });

  it("does not modify the charges it is given", () => {
    const charges = [charge("b"), charge("a")];
    const copy = structuredClone(charges);
    buildInvoice("2026-01", charges);
    expect(charges).toEqual(copy);
  });
});
