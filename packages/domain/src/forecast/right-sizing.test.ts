import { describe, expect, it } from "vitest";
import { defaultCatalog, type Catalog } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import type { MonthLedger } from "../billing/ledger";
import type { Subscription } from "../subscription/subscription";
import { downgradeAdvice, rightSizingFor, upgradeAdvice, type RightSizingAdvice } from "./right-sizing";

/** The same ids with other prices and allowances: nothing in the rule names a tier. */
const otherCatalog: Catalog = {
  tiers: [
    { id: "power", name: "Top", rank: 3, priceCents: 10_000, allowanceCenticredits: 2_000_000 },
    { id: "pro", name: "Base", rank: 1, priceCents: 1_000, allowanceCenticredits: 50_000 },
    { id: "pro_plus", name: "Mid", rank: 2, priceCents: 3_000, allowanceCenticredits: 300_000 },
  ],
  overageCentsPerCredit: 5,
};

describe("upgradeAdvice: last month's overage costs more than the next tier up (issue 15, Forecasts)", () => {
  it.each<[string, Catalog, TierId, number, RightSizingAdvice | null]>([
    ["Pro, 1,500 credits: $20 overage = the $20 difference, no saving", defaultCatalog, "pro", 150_000, null],
    [
      "Pro, 1,600 credits: $24 overage − $20 difference = $4",
      defaultCatalog,
      "pro",
      160_000,
      { kind: "upgrade", fromTier: "pro", toTier: "pro_plus", costCentsNow: 4_400, costCentsAtTier: 4_000, savingCentsPerMonth: 400 },
    ],
    [
      "overage rounded per line as the bill does: 600.13 credits = $24.0052 → $24.01",
      defaultCatalog,
      "pro",
      160_013,
      { kind: "upgrade", fromTier: "pro", toTier: "pro_plus", costCentsNow: 4_401, costCentsAtTier: 4_000, savingCentsPerMonth: 401 },
    ],
    [
      "Pro, 5,000 credits: still overage at Pro+ ($120), so $180 − $160 = $20, not $160 − $20",
      defaultCatalog,
      "pro",
      500_000,
      { kind: "upgrade", fromTier: "pro", toTier: "pro_plus", costCentsNow: 18_000, costCentsAtTier: 16_000, savingCentsPerMonth: 2_000 },
    ],
    ["Pro+, 3,000 credits: $40 overage < $160 to Power", defaultCatalog, "pro_plus", 300_000, null],
    [
      "Pro+, 7,000 credits: $200 overage − $160 = $40",
      defaultCatalog,
      "pro_plus",
      700_000,
      { kind: "upgrade", fromTier: "pro_plus", toTier: "power", costCentsNow: 24_000, costCentsAtTier: 20_000, savingCentsPerMonth: 4_000 },
    ],
    ["the highest tier has nowhere to go", defaultCatalog, "power", 5_000_000, null],
    [
      "another catalog, tiers listed out of rank: Base, 1,000 credits = 500 over at 5¢ = $25 − $20 = $5",
      otherCatalog,
      "pro",
      100_000,
      { kind: "upgrade", fromTier: "pro", toTier: "pro_plus", costCentsNow: 3_500, costCentsAtTier: 3_000, savingCentsPerMonth: 500 },
    ],
  ])("%s", (_, catalog, tier, billableCc, expected) => {
    expect(upgradeAdvice(catalog, { tier, billableCc })).toEqual(expected);
  });
});

describe("downgradeAdvice: under a lower tier's allowance in each of the last two months (issue 15, Forecasts)", () => {
  it.each<[string, Catalog, TierId, number[], RightSizingAdvice | null]>([
    [
      "Power, peak 1,999.99 credits: Pro+ fits, $160 a month",
      defaultCatalog,
      "power",
      [150_000, 199_999],
      { kind: "downgrade", fromTier: "power", toTier: "pro_plus", costCentsNow: 20_000, costCentsAtTier: 4_000, savingCentsPerMonth: 16_000 },
    ],
    [
      "Power, under 1,000 both months: the cheapest that fits, Pro, $180",
      defaultCatalog,
      "power",
      [50_000, 99_999],
      { kind: "downgrade", fromTier: "power", toTier: "pro", costCentsNow: 20_000, costCentsAtTier: 2_000, savingCentsPerMonth: 18_000 },
    ],
    ["Pro+, exactly 1,000 credits one month: not under Pro's allowance", defaultCatalog, "pro_plus", [100_000, 10], null],
    ["Pro: nothing lower", defaultCatalog, "pro", [0, 0], null],
    ["one month known: not two", defaultCatalog, "power", [0], null],
    [
      "another catalog: Top with 2,999 credits at peak → Mid",
      otherCatalog,
      "power",
      [299_900, 1],
      { kind: "downgrade", fromTier: "power", toTier: "pro_plus", costCentsNow: 10_000, costCentsAtTier: 3_000, savingCentsPerMonth: 7_000 },
    ],
  ])("%s", (_, catalog, tier, usedCcByMonth, expected) => {
    expect(downgradeAdvice(catalog, { tier, usedCcByMonth })).toEqual(expected);
  });
});

const now = new Date(Date.UTC(2026, 0, 8, 12));
const month = (periodId: string, over: Partial<MonthLedger> = {}): MonthLedger => ({
  periodId,
  feeTier: "power",
  activeAtStart: true,
  firstActivatedAt: null,
  firstMonthProrated: false,
  includedCc: 0,
  overageCc: 0,
  unbilledCc: 0,
  ...over,
});
const active = (over: Partial<Subscription> = {}): Subscription => ({
  tier: "power",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2025, 9, 1)),
  lastActiveAt: null,
  ...over,
});

describe("rightSizingFor: which seats the lists hold (issue 15, Forecasts)", () => {
  const power = { kind: "downgrade", fromTier: "power", toTier: "pro", costCentsNow: 20_000, costCentsAtTier: 2_000, savingCentsPerMonth: 18_000 } as const;
  it.each<[string, Subscription, MonthLedger, MonthLedger, RightSizingAdvice | null]>([
    ["Power, 10 and 5 credits used (unbilled counts as use)", active(), month("2025-12", { includedCc: 900, unbilledCc: 100 }), month("2025-11", { includedCc: 500 }), power],
    [
      "Pro with 1,600 credits billable last month: upgrade (unbilled overshoot is not billable)",
      active({ tier: "pro" }),
      month("2025-12", { feeTier: "pro", includedCc: 100_000, overageCc: 60_000, unbilledCc: 999 }),
      month("2025-11", { feeTier: null }),
      { kind: "upgrade", fromTier: "pro", toTier: "pro_plus", costCentsNow: 4_400, costCentsAtTier: 4_000, savingCentsPerMonth: 400 },
    ],
    ["Pending costs nothing", active({ status: "pending", activatedAt: null }), month("2025-12"), month("2025-11"), null],
    ["Canceled, access to the month's end: leaving anyway", active({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 1, 1)) }), month("2025-12"), month("2025-11"), null],
    ["not charged last month", active(), month("2025-12", { feeTier: null }), month("2025-11"), null],
    ["not charged the month before: one month is not two", active(), month("2025-12"), month("2025-11", { feeTier: null }), null],
    ["a downgrade already scheduled", active({ scheduledTier: "pro", scheduledAt: new Date(Date.UTC(2026, 1, 1)) }), month("2025-12"), month("2025-11"), null],
  ])("%s", (_, subscription, lastMonth, monthBefore, expected) => {
    expect(rightSizingFor(defaultCatalog, { subscription, lastMonth, monthBefore, now })).toEqual(expected);
  });
});
