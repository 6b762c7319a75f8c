import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../catalog/catalog";
import type { MonthLedger } from "../billing/ledger";
import { emptyTrendMonth, isActiveUserInMonth, trendGroupOf, trendGroupsOf, trendMonth, trendPeriods, type TrendGroup } from "./trends";

const money = { feesCents: 0, overageCents: 0, totalCents: 0 };
const group = (over: Partial<TrendGroup>): TrendGroup => ({
  feeTier: "pro",
  activatedInMonth: false,
  usedCredits: false,
  users: 1,
  includedCc: 0,
  overageCc: 0,
  unbilledCc: 0,
  ...over,
});
const ledger = (over: Partial<MonthLedger>): MonthLedger => ({
  periodId: "2026-01",
  feeTier: null,
  activeAtStart: false,
  firstActivatedAt: null,
  firstMonthProrated: false,
  includedCc: 0,
  overageCc: 0,
  unbilledCc: 0,
  ...over,
});

describe("trendPeriods: the last 12 months, the current one included (issue 15)", () => {
  it.each([
    ["mid-month", Date.UTC(2026, 0, 8, 12), "2025-02", "2026-01"],
    ["the first instant of a month is that month (edge case 1)", Date.UTC(2026, 2, 1), "2025-04", "2026-03"],
    ["the last instant of a year", Date.UTC(2026, 11, 31, 23, 59, 59, 999), "2026-01", "2026-12"],
  ])("%s", (_, now, first, last) => {
    const periods = trendPeriods(new Date(now));
    expect(periods).toHaveLength(12);
    expect(periods[0]!.id).toBe(first);
    expect(periods.at(-1)!.id).toBe(last);
    // Consecutive months, oldest first.
    for (let i = 1; i < periods.length; i++) expect(periods[i]!.start.getTime()).toBe(periods[i - 1]!.end.getTime());
  });

  it("takes another length", () => {
    expect(trendPeriods(new Date(Date.UTC(2026, 0, 8, 12)), 2).map((p) => p.id)).toEqual(["2025-12", "2026-01"]);
  });
});

describe("isActiveUserInMonth", () => {
  it.each([
    [false, false, false],
    [true, false, true],
    [false, true, true],
    [true, true, true],
  ])("used credits %s, activated in the month %s → %s", (usedCredits, activatedInMonth, expected) => {
    expect(isActiveUserInMonth({ usedCredits, activatedInMonth })).toBe(expected);
  });
});

describe("trendGroupOf: one ledger as a group of one", () => {
  it.each([
    ["never Active, no usage", ledger({}), { feeTier: null, activatedInMonth: false, usedCredits: false }],
    ["Active from the start, no usage", ledger({ feeTier: "pro", activeAtStart: true }), { feeTier: "pro", activatedInMonth: false, usedCredits: false }],
    [
      "activated in the month with usage",
      ledger({ feeTier: "power", firstActivatedAt: new Date(Date.UTC(2026, 0, 8, 12)), includedCc: 5, overageCc: 2, unbilledCc: 1 }),
      { feeTier: "power", activatedInMonth: true, usedCredits: true, includedCc: 5, overageCc: 2, unbilledCc: 1 },
    ],
    ["only unbilled overshoot counts as used", ledger({ feeTier: "pro", activeAtStart: true, unbilledCc: 1 }), { feeTier: "pro", usedCredits: true, unbilledCc: 1 }],
  ])("%s", (_, l, expected) => {
    expect(trendGroupOf(l)).toEqual({ ...group({ feeTier: null }), ...expected });
  });
});

describe("trendGroupsOf: a month's ledgers summed into groups", () => {
  it("sums users sharing fee tier, first activation and credits used; keeps the others apart; the month's figures are the same either way", () => {
    const at = new Date(Date.UTC(2026, 0, 8, 12));
    const ledgers = [
      ledger({ feeTier: "pro", activeAtStart: true, includedCc: 300 }),
      ledger({ feeTier: "pro", activeAtStart: true, includedCc: 200, overageCc: 5 }),
      ledger({ feeTier: "pro", activeAtStart: true }),
      ledger({ feeTier: "pro", firstActivatedAt: at, includedCc: 1 }),
      ledger({ feeTier: "power", activeAtStart: true, unbilledCc: 7 }),
      ledger({}),
      ledger({}),
    ];
    const groups = trendGroupsOf(ledgers);
    expect(groups).toEqual([
      group({ feeTier: "pro", usedCredits: true, users: 2, includedCc: 500, overageCc: 5 }),
      group({ feeTier: "pro" }),
      group({ feeTier: "pro", activatedInMonth: true, usedCredits: true, includedCc: 1 }),
      group({ feeTier: "power", usedCredits: true, unbilledCc: 7 }),
      group({ feeTier: null, users: 2 }),
    ]);
    expect(trendMonth(defaultCatalog, "2026-01", "invoice", groups, money)).toEqual(trendMonth(defaultCatalog, "2026-01", "invoice", ledgers.map(trendGroupOf), money));
    expect(trendGroupsOf([])).toEqual([]);
  });
});

describe("trendMonth: a month's seats, active users, credits and money (issue 15, Trends)", () => {
  it("counts seats by fee tier and status in the month, active users and credits, in catalog order", () => {
    const month = trendMonth(
      defaultCatalog,
      "2026-01",
      "invoice",
      [
        group({ feeTier: "power", users: 2, usedCredits: true, includedCc: 300, overageCc: 0, unbilledCc: 0 }),
        group({ feeTier: "pro", users: 3 }),
        group({ feeTier: "pro", activatedInMonth: true, users: 1, usedCredits: true, includedCc: 100_000, overageCc: 2_013, unbilledCc: 7 }),
        group({ feeTier: "pro", activatedInMonth: true, users: 4 }),
        // Never Active this month (a Pending user with a ledger): not a seat, no activity.
        group({ feeTier: null, users: 5 }),
      ],
      { feesCents: 30_000, overageCents: 81, totalCents: 30_081 },
    );
    expect(month).toEqual({
      periodId: "2026-01",
      source: "invoice",
      seats: {
        total: 10,
        activeAtStart: 5,
        activatedInMonth: 5,
        byTier: [
          { tier: "pro", total: 8, activeAtStart: 3, activatedInMonth: 5 },
          { tier: "pro_plus", total: 0, activeAtStart: 0, activatedInMonth: 0 },
          { tier: "power", total: 2, activeAtStart: 2, activatedInMonth: 0 },
        ],
      },
      // 2 with usage at Power, 1 with usage + 4 activated at Pro.
      activeUsers: 7,
      credits: { usedCc: 102_320, includedCc: 100_300, overageCc: 2_013, unbilledCc: 7 },
      money: { feesCents: 30_000, overageCents: 81, totalCents: 30_081 },
    });
  });

  it("a tier no longer in the catalog is listed after the catalog's tiers", () => {
    const month = trendMonth(defaultCatalog, "2025-06", "invoice", [group({ feeTier: "legacy" as never, users: 2 }), group({ feeTier: "legacy" as never, activatedInMonth: true })], money);
    expect(month.seats.byTier.map((t) => t.tier)).toEqual(["pro", "pro_plus", "power", "legacy"]);
    expect(month.seats.byTier.at(-1)).toEqual({ tier: "legacy", total: 3, activeAtStart: 2, activatedInMonth: 1 });
    expect(month.seats.total).toBe(3);
  });

  it("an empty month is zeros with every tier listed", () => {
    expect(emptyTrendMonth(defaultCatalog, "2025-03")).toEqual({
      periodId: "2025-03",
      source: "none",
      seats: {
        total: 0,
        activeAtStart: 0,
        activatedInMonth: 0,
        byTier: ["pro", "pro_plus", "power"].map((tier) => ({ tier, total: 0, activeAtStart: 0, activatedInMonth: 0 })),
      },
      activeUsers: 0,
      credits: { usedCc: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 },
      money,
    });
  });
});
