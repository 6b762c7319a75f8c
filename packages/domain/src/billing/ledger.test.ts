import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import type { Subscription } from "../subscription/subscription";
import { periodFromParts } from "../time/period";
import type { FirstMonthMode } from "./first-month";
import { allowanceOf, noteActive, openLedger, rerate, usedOf, type MonthLedger } from "./ledger";

const jan = periodFromParts(2026, 0);
const jan8 = new Date(Date.UTC(2026, 0, 8, 12));
const jan20 = new Date(Date.UTC(2026, 0, 20, 9));
const sub = (over: Partial<Subscription> = {}): Subscription => ({
  tier: "pro_plus",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2025, 11, 3)),
  lastActiveAt: new Date(Date.UTC(2025, 11, 30)),
  ...over,
});
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
const fresh = { firstActivatedAt: null, firstMonthProrated: false, includedCc: 0, overageCc: 0, unbilledCc: 0 };

describe("openLedger: a month as it opens (DESIGN.md §2 Charges)", () => {
  it.each<[string, Subscription | null, MonthLedger]>([
    ["Active at the start: the fee tier is set, activeAtStart true", sub(), { periodId: "2026-01", feeTier: "pro_plus", activeAtStart: true, ...fresh }],
    ["Pending at the start: no fee tier (Pending users cost nothing)", sub({ status: "pending", activatedAt: null }), { periodId: "2026-01", feeTier: null, activeAtStart: false, ...fresh }],
    ["no subscription at the start: no fee tier", null, { periodId: "2026-01", feeTier: null, activeAtStart: false, ...fresh }],
    ["Canceled at the start: no fee tier", sub({ status: "canceled", accessEndsAt: jan.start }), { periodId: "2026-01", feeTier: null, activeAtStart: false, ...fresh }],
  ])("%s", (_, atStart, expected) => {
    expect(openLedger(jan, atStart)).toEqual(expected);
  });
});

describe("noteActive: the user holds a tier while Active (DESIGN.md §2 Charges, Upgrade)", () => {
  it.each<[string, MonthLedger, Parameters<typeof noteActive>[2], Date, FirstMonthMode, MonthLedger]>([
    [
      "first activation in a month not Active at its start sets the fee tier and firstActivatedAt",
      ledger({ feeTier: null, activeAtStart: false }),
      "pro",
      jan8,
      "full",
      ledger({ feeTier: "pro", activeAtStart: false, firstActivatedAt: jan8 }),
    ],
    [
      "a later upgrade in the first paid month keeps the first activation day",
      ledger({ feeTier: "pro", activeAtStart: false, firstActivatedAt: jan8 }),
      "power",
      jan20,
      "full",
      ledger({ feeTier: "power", activeAtStart: false, firstActivatedAt: jan8 }),
    ],
    [
      "Active at the start: never a first paid month",
      ledger({ feeTier: "pro" }),
      "pro_plus",
      jan8,
      "full",
      ledger({ feeTier: "pro_plus", firstActivatedAt: null }),
    ],
    [
      "a lower tier leaves the fee tier at the highest held (a downgrade keeps the month paid in full)",
      ledger({ feeTier: "power" }),
      "pro",
      jan8,
      "full",
      ledger({ feeTier: "power" }),
    ],
    [
      "an upgrade re-rates: accepted overage moves back into the larger allowance first, unbilled stays unbilled",
      ledger({ feeTier: "pro", includedCc: 100_000, overageCc: 50_000, unbilledCc: 1_000 }),
      "pro_plus",
      jan20,
      "full",
      ledger({ feeTier: "pro_plus", includedCc: 150_000, overageCc: 0, unbilledCc: 1_000 }),
    ],
    [
      "an upgrade re-rates only as far as the larger allowance: the rest stays overage",
      ledger({ feeTier: "pro", includedCc: 100_000, overageCc: 150_000, unbilledCc: 3 }),
      "pro_plus",
      jan20,
      "full",
      ledger({ feeTier: "pro_plus", includedCc: 200_000, overageCc: 50_000, unbilledCc: 3 }),
    ],
    [
      "re-activation of the same tier changes nothing",
      ledger({ feeTier: "pro", includedCc: 100_000, overageCc: 500, unbilledCc: 7 }),
      "pro",
      jan20,
      "full",
      ledger({ feeTier: "pro", includedCc: 100_000, overageCc: 500, unbilledCc: 7 }),
    ],
    [
      "edge case 12: a first activation under firstMonth prorated captures it in the ledger",
      ledger({ feeTier: null, activeAtStart: false }),
      "pro",
      jan8,
      "prorated",
      ledger({ feeTier: "pro", activeAtStart: false, firstActivatedAt: jan8, firstMonthProrated: true }),
    ],
    [
      "edge case 12: a later upgrade under firstMonth full keeps the prorated decision of the activation",
      ledger({ feeTier: "pro", activeAtStart: false, firstActivatedAt: jan8, firstMonthProrated: true }),
      "power",
      jan20,
      "full",
      ledger({ feeTier: "power", activeAtStart: false, firstActivatedAt: jan8, firstMonthProrated: true }),
    ],
    [
      "edge case 12: a later upgrade under firstMonth prorated does not prorate a month begun under full",
      ledger({ feeTier: "pro", activeAtStart: false, firstActivatedAt: jan8, firstMonthProrated: false }),
      "pro_plus",
      jan20,
      "prorated",
      ledger({ feeTier: "pro_plus", activeAtStart: false, firstActivatedAt: jan8, firstMonthProrated: false }),
    ],
    [
      "edge case 12: Active at the start under firstMonth prorated: not a first paid month, nothing captured",
      ledger({ feeTier: "pro" }),
      "power",
      jan8,
      "prorated",
      ledger({ feeTier: "power", firstActivatedAt: null, firstMonthProrated: false }),
    ],
  ])("%s", (_, before, tier, at, firstMonth, expected) => {
    expect(noteActive(catalog, before, tier, at, firstMonth)).toEqual(expected);
  });

  it("does not modify the ledger it is given", () => {
    const before = ledger({ feeTier: "pro", includedCc: 100_000, overageCc: 50_000 });
    const copy = structuredClone(before);
    noteActive(catalog, before, "power", jan8, "prorated");
    expect(before).toEqual(copy);
  });
});

describe("allowanceOf (edge case 4: the allowance is the credits of the tier that sets the fee)", () => {
  it.each<[string, MonthLedger, Parameters<typeof allowanceOf>[2], number]>([
    ["the fee tier's allowance", ledger({ feeTier: "pro_plus" }), "pro_plus", 200_000],
    ["the highest tier held while Active, even after a downgrade took effect", ledger({ feeTier: "power" }), "pro", 1_000_000],
    ["a Pending user's allowance is their current tier's", ledger({ feeTier: null, activeAtStart: false }), "pro_plus", 200_000],
    ["a Pending user on Power", ledger({ feeTier: null, activeAtStart: false }), "power", 1_000_000],
  ])("%s", (_, l, currentTier, expected) => {
    expect(allowanceOf(catalog, l, currentTier)).toBe(expected);
  });
});

describe("rerate: when the allowance grows, overage moves back into it first (DESIGN.md §2 overage fee)", () => {
  it.each<[string, MonthLedger, MonthLedger]>([
    ["no fee tier: unchanged", ledger({ feeTier: null, includedCc: 0, overageCc: 10 }), ledger({ feeTier: null, includedCc: 0, overageCc: 10 })],
    ["no overage: unchanged", ledger({ feeTier: "power", includedCc: 100_000, unbilledCc: 50 }), ledger({ feeTier: "power", includedCc: 100_000, unbilledCc: 50 })],
    ["allowance already full: unchanged", ledger({ feeTier: "pro", includedCc: 100_000, overageCc: 300, unbilledCc: 4 }), ledger({ feeTier: "pro", includedCc: 100_000, overageCc: 300, unbilledCc: 4 })],
    ["room for all the overage: it all moves back, unbilled stays", ledger({ feeTier: "power", includedCc: 100_000, overageCc: 400_000, unbilledCc: 9 }), ledger({ feeTier: "power", includedCc: 500_000, overageCc: 0, unbilledCc: 9 })],
    ["room for part of it: the allowance fills, the rest stays overage", ledger({ feeTier: "pro_plus", includedCc: 100_000, overageCc: 100_001 }), ledger({ feeTier: "pro_plus", includedCc: 200_000, overageCc: 1 })],
  ])("%s", (_, before, expected) => {
    expect(rerate(catalog, before)).toEqual(expected);
  });
});

describe("usedOf: everything consumed in the month, billed or not", () => {
  it.each<[string, MonthLedger, number]>([
    ["nothing used", ledger(), 0],
    ["included, overage and unbilled overshoot all count", ledger({ includedCc: 100_000, overageCc: 2_500, unbilledCc: 7 }), 102_507],
    ["unbilled overshoot alone (overage off)", ledger({ includedCc: 0, overageCc: 0, unbilledCc: 13 }), 13],
  ])("%s", (_, l, used) => {
    expect(usedOf(l)).toBe(used);
  });
});
