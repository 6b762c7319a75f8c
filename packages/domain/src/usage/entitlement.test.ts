import { describe, expect, it } from "vitest";
import type { MonthLedger } from "../billing/ledger";
import { defaultCatalog as catalog } from "../catalog/catalog";
import type { Subscription } from "../subscription/subscription";
import { periodOf } from "../time/period";
import { decideEntitlement, entitlementReasons, type Entitlement } from "./entitlement";
import type { OverageLimits, UsageCounters } from "./split";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const feb1 = new Date(Date.UTC(2026, 1, 1));
/** Pro's allowance: 1,000 credits. */
const allowanceCc = 100_000;
const sub = (over: Partial<Subscription> = {}): Subscription => ({
  tier: "pro",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2025, 11, 3)),
  lastActiveAt: new Date(Date.UTC(2026, 0, 7)),
  ...over,
});
const limits = (over: Partial<OverageLimits> = {}): OverageLimits => ({
  allowed: true,
  userCap: "unlimited",
  budgetCents: null,
  profileOverageCc: 0,
  overageCentsPerCredit: 4,
  ...over,
});
const used = (includedCc: number, overageCc = 0, unbilledCc = 0): UsageCounters => ({ includedCc, overageCc, unbilledCc });

/** The month's ledger of a user Active on Pro since before it began, with these counters. */
const ledgerOf = (counters: UsageCounters, at: Date = now, over: Partial<MonthLedger> = {}): MonthLedger => ({
  periodId: periodOf(at).id,
  feeTier: "pro",
  activeAtStart: true,
  firstActivatedAt: null,
  firstMonthProrated: false,
  ...counters,
  ...over,
});

interface Case {
  subscription?: Subscription | null;
  counters: UsageCounters;
  limits: OverageLimits;
  at?: Date;
  /** How the month's ledger differs from one Active on Pro since before the month. */
  ledger?: Partial<MonthLedger>;
}
const decide = (c: Case) =>
  decideEntitlement({ catalog, subscription: c.subscription === undefined ? sub() : c.subscription, ledger: ledgerOf(c.counters, c.at, c.ledger), limits: c.limits, now: c.at ?? now });
const notActiveThisMonth: Partial<MonthLedger> = { feeTier: null, activeAtStart: false };

describe("decideEntitlement (DESIGN.md §2 edge case 7: the reasons, in order)", () => {
  it("lists its reasons in the order they are decided", () => {
    expect(entitlementReasons).toEqual(["ok", "overage", "allowance-used-overage-off", "user-cap-reached", "profile-budget-reached", "not-subscribed", "access-ended"]);
  });

  it.each<[string, Case, Entitlement]>([
    [
      "allowance left → ok, headroom is the allowance left",
      { counters: used(30_000), limits: limits({ allowed: false }) },
      { allowed: true, reason: "ok", allowanceCc, usedCc: 30_000, overageUsedCc: 0, headroomCc: 70_000, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "allowance left → ok even when cap and budget are used up (the allowance comes first)",
      { counters: used(99_999, 0, 0), limits: limits({ userCap: 0, budgetCents: 0 }) },
      { allowed: true, reason: "ok", allowanceCc, usedCc: 99_999, overageUsedCc: 0, headroomCc: 1, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "allowance used, overage not allowed → allowance-used-overage-off",
      { counters: used(allowanceCc, 0, 250), limits: limits({ allowed: false }) },
      { allowed: false, reason: "allowance-used-overage-off", allowanceCc, usedCc: 100_250, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "overage not allowed is decided before a used cap and a used budget",
      { counters: used(allowanceCc, 500), limits: limits({ allowed: false, userCap: 500, budgetCents: 0 }) },
      { allowed: false, reason: "allowance-used-overage-off", allowanceCc, usedCc: 100_500, overageUsedCc: 500, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "cap used → user-cap-reached",
      { counters: used(allowanceCc, 500, 10), limits: limits({ userCap: 500 }) },
      { allowed: false, reason: "user-cap-reached", allowanceCc, usedCc: 100_510, overageUsedCc: 500, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "a cap lowered below what was used → user-cap-reached (edge case 6)",
      { counters: used(allowanceCc, 900), limits: limits({ userCap: 500, budgetCents: 100_000 }) },
      { allowed: false, reason: "user-cap-reached", allowanceCc, usedCc: 100_900, overageUsedCc: 900, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "a used cap is decided before a used budget",
      { counters: used(allowanceCc, 2_500), limits: limits({ userCap: 2_500, budgetCents: 100, profileOverageCc: 2_500 }) },
      { allowed: false, reason: "user-cap-reached", allowanceCc, usedCc: 102_500, overageUsedCc: 2_500, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "budget used → profile-budget-reached",
      { counters: used(allowanceCc, 100), limits: limits({ userCap: 1_000, budgetCents: 100, profileOverageCc: 2_500 }) },
      { allowed: false, reason: "profile-budget-reached", allowanceCc, usedCc: 100_100, overageUsedCc: 100, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "a budget of 0 → profile-budget-reached",
      { counters: used(allowanceCc), limits: limits({ budgetCents: 0 }) },
      { allowed: false, reason: "profile-budget-reached", allowanceCc, usedCc: 100_000, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "else allowed as overage, headroom = the cap room when it is smaller",
      { counters: used(allowanceCc, 100), limits: limits({ userCap: 400, budgetCents: 100, profileOverageCc: 1_000 }) },
      { allowed: true, reason: "overage", allowanceCc, usedCc: 100_100, overageUsedCc: 100, headroomCc: 300, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "else allowed as overage, headroom = the budget room when it is smaller",
      { counters: used(allowanceCc, 100), limits: limits({ userCap: 5_000, budgetCents: 100, profileOverageCc: 1_000 }) },
      { allowed: true, reason: "overage", allowanceCc, usedCc: 100_100, overageUsedCc: 100, headroomCc: 1_500, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "overage with a cap and no budget: headroom = the cap room",
      { counters: used(allowanceCc, 100), limits: limits({ userCap: 5_000 }) },
      { allowed: true, reason: "overage", allowanceCc, usedCc: 100_100, overageUsedCc: 100, headroomCc: 4_900, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "overage with a budget and no cap: headroom = the budget room, compared with exact money",
      { counters: used(allowanceCc, 13), limits: limits({ budgetCents: 1, profileOverageCc: 13 }) },
      { allowed: true, reason: "overage", allowanceCc, usedCc: 100_013, overageUsedCc: 13, headroomCc: 12, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "overage with neither a cap nor a budget: headroom null (no limit ahead)",
      { counters: used(allowanceCc, 70_000, 5), limits: limits() },
      { allowed: true, reason: "overage", allowanceCc, usedCc: 170_005, overageUsedCc: 70_000, headroomCc: null, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "no subscription in the profile → not-subscribed",
      { subscription: null, counters: used(0), limits: limits(), ledger: notActiveThisMonth },
      { allowed: false, reason: "not-subscribed", allowanceCc: 0, usedCc: 0, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "a canceled subscription whose access ended before now → access-ended",
      { subscription: sub({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 1)) }), counters: used(0), limits: limits(), ledger: notActiveThisMonth },
      { allowed: false, reason: "access-ended", allowanceCc: 0, usedCc: 0, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: new Date(Date.UTC(2026, 0, 1)) },
    ],
    [
      "a canceled subscription whose access ends exactly now → access-ended",
      { subscription: sub({ status: "canceled", accessEndsAt: now }), counters: used(10), limits: limits() },
      { allowed: false, reason: "access-ended", allowanceCc: 0, usedCc: 10, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: now },
    ],
    [
      "a canceled subscription with access until the month ends is still allowed",
      { subscription: sub({ status: "canceled", accessEndsAt: feb1 }), counters: used(10), limits: limits() },
      { allowed: true, reason: "ok", allowanceCc, usedCc: 10, overageUsedCc: 0, headroomCc: 99_990, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "a canceled subscription 1 ms before its access ends is still allowed",
      { subscription: sub({ status: "canceled", accessEndsAt: feb1 }), counters: used(allowanceCc), limits: limits({ allowed: false }), at: new Date(feb1.getTime() - 1) },
      { allowed: false, reason: "allowance-used-overage-off", allowanceCc, usedCc: 100_000, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "periodEnd is 00:00 UTC on the 1st of next month, across a year end",
      { counters: used(0), limits: limits(), at: new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999)) },
      { allowed: true, reason: "ok", allowanceCc, usedCc: 0, overageUsedCc: 0, headroomCc: 100_000, periodEnd: new Date(Date.UTC(2027, 0, 1)), accessEndedAt: null },
    ],
    [
      "periodEnd at 00:00:00.000 on the 1st is the end of the new month (edge case 1)",
      { counters: used(0), limits: limits(), at: feb1 },
      { allowed: true, reason: "ok", allowanceCc, usedCc: 0, overageUsedCc: 0, headroomCc: 100_000, periodEnd: new Date(Date.UTC(2026, 2, 1)), accessEndedAt: null },
    ],
    [
      "edge case 4: the allowance is the fee tier's: held Power while Active this month, now on Pro → 10,000 credits",
      { subscription: sub({ tier: "pro" }), counters: used(150_000), limits: limits({ allowed: false }), ledger: { feeTier: "power" } },
      { allowed: true, reason: "ok", allowanceCc: 1_000_000, usedCc: 150_000, overageUsedCc: 0, headroomCc: 850_000, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "edge case 4: a Pending user's allowance is their current tier's",
      { subscription: sub({ tier: "pro_plus", status: "pending", activatedAt: null, lastActiveAt: null }), counters: used(0), limits: limits(), ledger: notActiveThisMonth },
      { allowed: true, reason: "ok", allowanceCc: 200_000, usedCc: 0, overageUsedCc: 0, headroomCc: 200_000, periodEnd: feb1, accessEndedAt: null },
    ],
    [
      "edge case 11: access ended by the identity provider earlier this month, before the month's end → access-ended; the month's usage still shows",
      { subscription: sub({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 5, 9)) }), counters: used(40_000, 0, 0), limits: limits() },
      { allowed: false, reason: "access-ended", allowanceCc: 0, usedCc: 40_000, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: new Date(Date.UTC(2026, 0, 5, 9)) },
    ],
    [
      "edge case 13: a subscription that ended months ago still answers access-ended, not not-subscribed",
      { subscription: sub({ status: "canceled", accessEndsAt: new Date(Date.UTC(2025, 8, 1)) }), counters: used(0), limits: limits(), ledger: notActiveThisMonth },
      { allowed: false, reason: "access-ended", allowanceCc: 0, usedCc: 0, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: new Date(Date.UTC(2025, 8, 1)) },
    ],
  ])("%s", (_, c, expected) => {
    expect(decide(c)).toEqual(expected);
  });

  it("edge case 7: the check is read-only: a Pending user is ok and stays Pending, with no last active", () => {
    const pending = sub({ status: "pending", activatedAt: null, lastActiveAt: null });
    const before = structuredClone(pending);
    expect(decide({ subscription: pending, counters: used(0), limits: limits(), ledger: notActiveThisMonth })).toEqual({
      allowed: true, reason: "ok", allowanceCc, usedCc: 0, overageUsedCc: 0, headroomCc: 100_000, periodEnd: feb1, accessEndedAt: null,
    });
    expect(pending).toEqual(before);
    expect(pending).toEqual(sub({ status: "pending", activatedAt: null, lastActiveAt: null }));
  });

  it("edge case 7: the check is read-only: an Active user's last active does not move, nor do the counters or the limits", () => {
    const active = sub({ scheduledTier: "pro", scheduledAt: feb1 });
    const counters = used(allowanceCc, 100, 5);
    const lim = limits({ userCap: 400, budgetCents: 100, profileOverageCc: 1_000 });
    const ledger = ledgerOf(counters);
    const copies = structuredClone({ active, ledger, lim });
    const e = decideEntitlement({ catalog, subscription: active, ledger, limits: lim, now });
    expect(e.reason).toBe("overage");
    expect({ active, ledger, lim }).toEqual(copies);
  });

  it("a scheduled downgrade that has fallen due does not end the subscription", () => {
    const downgraded = sub({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: feb1 });
    const febLedger = ledgerOf(used(0), feb1);
    expect(decideEntitlement({ catalog, subscription: downgraded, ledger: febLedger, limits: limits(), now: feb1 })).toEqual({
      allowed: true, reason: "ok", allowanceCc, usedCc: 0, overageUsedCc: 0, headroomCc: 100_000, periodEnd: new Date(Date.UTC(2026, 2, 1)), accessEndedAt: null,
    });
  });
});
