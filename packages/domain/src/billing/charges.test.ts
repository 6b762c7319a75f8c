import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { periodFromParts } from "../time/period";
import { computeCharge, type UserCharge } from "./charges";
import { firstMonthModes } from "./first-month";
import { noteActive, openLedger, type MonthLedger } from "./ledger";

const jan = periodFromParts(2026, 0);
const april = periodFromParts(2026, 3);
const feb2028 = periodFromParts(2028, 1);
const ledger = (over: Partial<MonthLedger> = {}): MonthLedger => ({
  periodId: "2026-01",
  feeTier: "pro",
  activeAtStart: true,
  firstActivatedAt: null,
  firstMonthProrated: false,
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

  // The prorated decision is the ledger's: the setting read when the first paid month began (edge case 12).
  it.each<[string, MonthLedger, UserCharge]>([
    [
      "no fee tier (Pending, or not Active this month) → nothing charged",
      ledger({ feeTier: null, activeAtStart: false }),
      { periodId: "2026-01", feeTier: null, feeCents: 0, proration: null, allowanceCc: 0, ...none },
    ],
    [
      "no fee tier → nothing charged, even in a month begun under firstMonth prorated",
      ledger({ feeTier: null, activeAtStart: false, firstMonthProrated: true }),
      { periodId: "2026-01", feeTier: null, feeCents: 0, proration: null, allowanceCc: 0, ...none },
    ],
    [
      "Pro, Active at the start: the full $20 and 1,000 credits",
      ledger({ includedCc: 42_000 }),
      { periodId: "2026-01", feeTier: "pro", feeCents: 2_000, proration: null, allowanceCc: 100_000, ...none, includedCc: 42_000 },
    ],
    [
      "Power, Active at the start: the full $200 and 10,000 credits",
      ledger({ feeTier: "power" }),
      { periodId: "2026-01", feeTier: "power", feeCents: 20_000, proration: null, allowanceCc: 1_000_000, ...none },
    ],
    [
      "a first paid month begun under firstMonth full is charged in full",
      ledger({ feeTier: "pro_plus", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 0, 21, 12)) }),
      { periodId: "2026-01", feeTier: "pro_plus", feeCents: 4_000, proration: null, allowanceCc: 200_000, ...none },
    ],
    [
      "not a first paid month (no first activation in it): charged in full even if marked prorated",
      ledger({ feeTier: "pro_plus", firstMonthProrated: true }),
      { periodId: "2026-01", feeTier: "pro_plus", feeCents: 4_000, proration: null, allowanceCc: 200_000, ...none },
    ],
    [
      "begun under firstMonth prorated, activated on April 21 (30-day month): 10 days counting the activation day, $20 × 10/30 = 666.67 → 667",
      ledger({ periodId: "2026-04", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 3, 21, 23, 59)), firstMonthProrated: true }),
      { periodId: "2026-04", feeTier: "pro", feeCents: 667, proration: { days: 10, daysInMonth: 30 }, allowanceCc: 100_000, ...none },
    ],
    [
      "begun under firstMonth prorated: $40 × 10/30 = 1,333.33 → 1,333; the allowance is never prorated (edge case 4)",
      ledger({ periodId: "2026-04", feeTier: "pro_plus", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 3, 21)), firstMonthProrated: true }),
      { periodId: "2026-04", feeTier: "pro_plus", feeCents: 1_333, proration: { days: 10, daysInMonth: 30 }, allowanceCc: 200_000, ...none },
    ],
    [
      "begun under firstMonth prorated, activated on the 1st: all 31 days, the full price",
      ledger({ activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 0, 1, 9)), firstMonthProrated: true }),
      { periodId: "2026-01", feeTier: "pro", feeCents: 2_000, proration: { days: 31, daysInMonth: 31 }, allowanceCc: 100_000, ...none },
    ],
    [
      "begun under firstMonth prorated, activated on the last day: 1 day of 31, $20 × 1/31 = 64.52 cents → 65",
      ledger({ activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2026, 0, 31, 23, 59, 59, 999)), firstMonthProrated: true }),
      { periodId: "2026-01", feeTier: "pro", feeCents: 65, proration: { days: 1, daysInMonth: 31 }, allowanceCc: 100_000, ...none },
    ],
    [
      "begun under firstMonth prorated in leap February 2028: activated on the 15th, 15 of 29 days, $200 × 15/29 = 10,344.83 → 10,345",
      ledger({ periodId: "2028-02", feeTier: "power", activeAtStart: false, firstActivatedAt: new Date(Date.UTC(2028, 1, 15)), firstMonthProrated: true }),
      { periodId: "2028-02", feeTier: "power", feeCents: 10_345, proration: { days: 15, daysInMonth: 29 }, allowanceCc: 1_000_000, ...none },
    ],
  ])("%s", (_, l, expected) => {
    const period = l.periodId === "2026-04" ? april : l.periodId === "2028-02" ? feb2028 : jan;
    expect(computeCharge(catalog, l, period)).toEqual(expected);
  });

  describe("edge case 12: firstMonth is read when the user becomes Active; a later setting re-prices no month already begun", () => {
    const jan8 = new Date(Date.UTC(2026, 0, 8, 12));
    const jan20 = new Date(Date.UTC(2026, 0, 20, 9));
    const fresh = openLedger(jan, null);
    it.each<[string, MonthLedger, UserCharge]>([
      [
        "activated Jan 8 under prorated, upgraded to Pro+ on the 20th after the setting became full: $40 × 24/31 = 3,096.77 → 3,097",
        noteActive(catalog, noteActive(catalog, fresh, "pro", jan8, "prorated"), "pro_plus", jan20, "full"),
        { periodId: "2026-01", feeTier: "pro_plus", feeCents: 3_097, proration: { days: 24, daysInMonth: 31 }, allowanceCc: 200_000, ...none },
      ],
      [
        "activated Jan 8 under full, upgraded on the 20th after the setting became prorated: the full $40",
        noteActive(catalog, noteActive(catalog, fresh, "pro", jan8, "full"), "pro_plus", jan20, "prorated"),
        { periodId: "2026-01", feeTier: "pro_plus", feeCents: 4_000, proration: null, allowanceCc: 200_000, ...none },
      ],
      [
        "activated Jan 8 under prorated, restored at the same tier on the 20th under full: still $20 × 24/31 = 1,548.39 → 1,548",
        noteActive(catalog, noteActive(catalog, fresh, "pro", jan8, "prorated"), "pro", jan20, "full"),
        { periodId: "2026-01", feeTier: "pro", feeCents: 1_548, proration: { days: 24, daysInMonth: 31 }, allowanceCc: 100_000, ...none },
      ],
      [
        "Active at the month's start: never prorated, whatever the setting at a later upgrade",
        noteActive(catalog, ledger({ feeTier: "pro" }), "power", jan20, "prorated"),
        { periodId: "2026-01", feeTier: "power", feeCents: 20_000, proration: null, allowanceCc: 1_000_000, ...none },
      ],
    ])("%s", (_, l, expected) => {
      expect(computeCharge(catalog, l, jan)).toEqual(expected);
    });
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
    expect(computeCharge(catalog, ledger({ includedCc: 100_000, overageCc, unbilledCc: 77 }), jan)).toEqual({
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
    expect(computeCharge(catalog, ledger({ includedCc: 100_000, overageCc: 3 * 50 }), jan).overageCents).toBe(6);
  });

  it("unbilled overshoot is shown and never billed", () => {
    expect(computeCharge(catalog, ledger({ includedCc: 100_000, unbilledCc: 1_000_000 }), jan)).toEqual({
      periodId: "2026-01", feeTier: "pro", feeCents: 2_000, proration: null, allowanceCc: 100_000, includedCc: 100_000, overageCc: 0, overageCents: 0, unbilledCc: 1_000_000,
    });
  });

  it("the overage price comes from the catalog", () => {
    const pricier = { ...catalog, overageCentsPerCredit: 7 };
    expect(computeCharge(pricier, ledger({ includedCc: 100_000, overageCc: 150 }), jan)).toMatchObject({ overageCc: 150, overageCents: 11 });
  });
});
