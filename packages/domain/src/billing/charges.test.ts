import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { periodFromParts } from "../time/period";
import { computeCharge, firstMonthModes, type FirstMonthMode, type UserCharge } from "./charges";
import type { MonthLedger } from "./ledger";

const jan = periodFromParts(2026, 0);
const april = periodFromParts(2026, 3);
const feb2028 = periodFromParts(2028, 1);
const ledger = (over: Partial<MonthLedger> = {}): MonthLedger => ({
  periodId: "2026-01",
  feeTier: "pro",
  activeAtStart: true,
  firstActivatedAt: null,
  includedCc: 0,
  overageCc: 0,
  unbilledCc: 0,
  ...over,
});
const none = { includedCc: 0, overageCc: 0, overageCents: 0, unbilledCc: 0 };

describe("computeCharge: one user's month in one profile (DESIGN.md §2 Charges)", () => {
  it("firstMonth is full (the default) or prorated", () => {
    expect(firstMonthModes).toEqual(["full", "prorated"]);
  });

  it.each<[string, MonthLedger, FirstMonthMode, UserCharge]>([
    [
      "no fee tier (Pending, or not Active this month) → nothing charged",
      ledger({ feeTier: null, activeAtStart: false }),
      "full",
      { periodId: "2026-01", feeTier: null, feeCents: 0, proration: null, allowanceCc: 0, ...none },
    ],
    [
      "no fee tier → nothing charged, whatever firstMonth",
      ledger({ feeTier: null, activeAtStart: false }),
      "prorated",
      { periodId: "2026-01", feeTier: null, feeCents: 0, proration: null, allowanceCc: 0, ...none },
    ],
    [
      "Pro, Active at the start: the full $20 and 1,000 credits",
      ledger({ includedCc: 42_000 }),
      "full",
      { periodId: "2026-01", feeTier: "pro", feeCents: 2_000, proration: null, allowanceCc: 100_000, ...none, includedCc: 42_000 },
    ],
    [
      "Power, Active at the start: the full $200 and 10,000 credits",
      ledger({ feeTier: "power" }),
      "full",
      { periodId: "2026-01", feeTier: "power", feeCents: 20_000, proration: null, allowanceCc: 1_000_000, ...none },
    ],
    [
      "firstMonth full: a first paid month is charged in full",
      ledger({ feeTier: "pro_plus", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 0, 21, 12)) }),
      "full",
      { periodId: "2026-01", feeTier: "pro_plus", feeCents: 4_000, proration: null, allowanceCc: 200_000, ...none },
    ],
    [
      "firstMonth prorated, not a first paid month (Active at the start): charged in full",
      ledger({ feeTier: "pro_plus" }),
      "prorated",
      { periodId: "2026-01", feeTier: "pro_plus", feeCents: 4_000, proration: null, allowanceCc: 200_000, ...none },
    ],
    [
      "firstMonth prorated, activated on April 21 (30-day month): 10 days counting the activation day, $20 × 10/30 = 666.67 → 667",
      ledger({ periodId: "2026-04", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 3, 21, 23, 59)) }),
      "prorated",
      { periodId: "2026-04", feeTier: "pro", feeCents: 667, proration: { days: 10, daysInMonth: 30 }, allowanceCc: 100_000, ...none },
    ],
    [
      "firstMonth prorated: $40 × 10/30 = 1,333.33 → 1,333; the allowance is never prorated (edge case 4)",
      ledger({ periodId: "2026-04", feeTier: "pro_plus", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 3, 21)) }),
      "prorated",
      { periodId: "2026-04", feeTier: "pro_plus", feeCents: 1_333, proration: { days: 10, daysInMonth: 30 }, allowanceCc: 200_000, ...none },
    ],
    [
      "firstMonth prorated, activated on the 1st: all 31 days, the full price",
      ledger({ activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 0, 1, 9)) }),
      "prorated",
      { periodId: "2026-01", feeTier: "pro", feeCents: 2_000, proration: { days: 31, daysInMonth: 31 }, allowanceCc: 100_000, ...none },
    ],
    [
      "firstMonth prorated, activated on the last day: 1 day of 31, $20 × 1/31 = 64.52 cents → 65",
      ledger({ activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 0, 31, 23, 59, 59, 999)) }),
      "prorated",
      { periodId: "2026-01", feeTier: "pro", feeCents: 65, proration: { days: 1, daysInMonth: 31 }, allowanceCc: 100_000, ...none },
    ],
    [
      "firstMonth prorated in leap February 2028: activated on the 15th, 15 of 29 days, $200 × 15/29 = 10,344.83 → 10,345",
      ledger({ periodId: "2028-02", feeTier: "power", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2028, 1, 15)) }),
      "prorated",
      { periodId: "2028-02", feeTier: "power", feeCents: 10_345, proration: { days: 15, daysInMonth: 29 }, allowanceCc: 1_000_000, ...none },
    ],
  ])("%s", (_, l, mode, expected) => {
    const period = l.periodId === "2026-04" ? april : l.periodId === "2028-02" ? feb2028 : jan;
    expect(computeCharge(catalog, l, period, mode)).toEqual(expected);
  });

  it.each<[string, number, number]>([
    ["150 centicredits of overage at 4 cents per credit = 6 cents exactly", 150, 6],
    ["112 cc → 4.48 cents → 4 (half-up, once per line)", 112, 4],
    ["113 cc → 4.52 cents → 5", 113, 5],
    ["12 cc → 0.48 cents → 0", 12, 0],
    ["13 cc → 0.52 cents → 1", 13, 1],
    ["125 cc → 5.00 cents exactly", 125, 5],
    ["1,000 credits of overage → $40.00", 100_000, 4_000],
  ])("overage: %s", (_, overageCc, overageCents) => {
    expect(computeCharge(catalog, ledger({ includedCc: 100_000, overageCc, unbilledCc: 77 }), jan, "full")).toEqual({
      periodId: "2026-01",
      feeTier: "pro",
      feeCents: 2_000,
      proration: null,
      allowanceCc: 100_000,
      includedCc: 100_000,
      overageCc,
      overageCents,
      unbilledCc: 77,
    });
  });

  it("the overage line is rounded once for the month, not per event: three events of 50 cc (2 cents each) make 6 cents, not 3 × 2", () => {
    expect(computeCharge(catalog, ledger({ includedCc: 100_000, overageCc: 3 * 50 }), jan, "full").overageCents).toBe(6);
  });

  it("unbilled overshoot is shown and never billed", () => {
    expect(computeCharge(catalog, ledger({ includedCc: 100_000, unbilledCc: 1_000_000 }), jan, "full")).toEqual({
      periodId: "2026-01", feeTier: "pro", feeCents: 2_000, proration: null, allowanceCc: 100_000, includedCc: 100_000, overageCc: 0, overageCents: 0, unbilledCc: 1_000_000,
    });
  });

  it("the overage price comes from the catalog", () => {
    const pricier = { ...catalog, overageCentsPerCredit: 7 };
    expect(computeCharge(pricier, ledger({ includedCc: 100_000, overageCc: 150 }), jan, "full")).toMatchObject({ overageCc: 150, overageCents: 11 });
  });
});
