import { describe, expect, it } from "vitest";
import type { FirstMonthMode } from "../billing/first-month";
import { openLedger } from "../billing/ledger";
import { defaultCatalog as catalog } from "../catalog/catalog";
import type { Subscription } from "../subscription/subscription";
import { periodOf } from "../time/period";
import { recordUsage } from "./record";
import type { OverageLimits } from "./split";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const jan = periodOf(now);
const pending: Subscription = { tier: "pro", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null };
const active: Subscription = { ...pending, status: "active", activatedAt: new Date(Date.UTC(2025, 11, 1)), lastActiveAt: new Date(Date.UTC(2026, 0, 2)) };
const limits = (over: Partial<OverageLimits> = {}): OverageLimits => ({ allowed: true, userCap: "unlimited", budgetCents: null, profileOverageCc: 0, overageCentsPerCredit: 4, ...over });
const ledgerAt = (includedCc: number, overageCc = 0) => ({ ...openLedger(jan, active), includedCc, overageCc });

describe("recordUsage (DESIGN.md §2, Usage)", () => {
  it("the first event of a Pending user activates them and opens their paid month; every event moves last active", () => {
    const r = recordUsage({ catalog, firstMonth: "full", stored: pending, ledger: openLedger(jan, null), creditsCc: 150, occurredAt: now, limits: limits() });
    expect(r).toEqual({
      accepted: true,
      activated: true,
      subscription: { ...pending, status: "active", activatedAt: now, lastActiveAt: now },
      ledger: { periodId: "2026-01", feeTier: "pro", activeAtStart: false, firstActivatedAt: now, firstMonthProrated: false, includedCc: 150, overageCc: 0, unbilledCc: 0 },
      split: { includedCc: 150, overageCc: 0, unbilledCc: 0, stoppedBy: null },
      allowanceCc: 100_000,
      notices: [],
    });
  });

  describe("edge case 12: the first event captures the firstMonth in force at that instant", () => {
    const jan20 = new Date(Date.UTC(2026, 0, 20, 9));
    it.each<[string, FirstMonthMode, boolean]>([
      ["under prorated: the month is marked prorated", "prorated", true],
      ["under full: the month is marked full", "full", false],
    ])("%s", (_, firstMonth, firstMonthProrated) => {
      const r = recordUsage({ catalog, firstMonth, stored: pending, ledger: openLedger(jan, null), creditsCc: 1, occurredAt: now, limits: limits() });
      expect(r.accepted && r.ledger).toEqual({
        periodId: "2026-01", feeTier: "pro", activeAtStart: false, firstActivatedAt: now, firstMonthProrated, includedCc: 1, overageCc: 0, unbilledCc: 0,
      });
    });

    it.each<[string, FirstMonthMode, FirstMonthMode]>([
      ["activated under prorated, a later event under full keeps the month prorated", "prorated", "full"],
      ["activated under full, a later event under prorated keeps the month full", "full", "prorated"],
    ])("%s", (_, atActivation, later) => {
      const first = recordUsage({ catalog, firstMonth: atActivation, stored: pending, ledger: openLedger(jan, null), creditsCc: 1, occurredAt: now, limits: limits() });
      if (!first.accepted) throw new Error("the first event was refused");
      const second = recordUsage({ catalog, firstMonth: later, stored: first.subscription, ledger: first.ledger, creditsCc: 2, occurredAt: jan20, limits: limits() });
      expect(second).toEqual({
        accepted: true,
        activated: false,
        subscription: { ...pending, status: "active", activatedAt: now, lastActiveAt: jan20 },
        ledger: { ...first.ledger, includedCc: 3 },
        split: { includedCc: 2, overageCc: 0, unbilledCc: 0, stoppedBy: null },
        allowanceCc: 100_000,
        notices: [],
      });
    });
  });

  it.each<[string, Subscription, Date]>([
    [
      "edge case 11: the identity provider ended access on Jan 5, before the month's end: a later event is refused as access-ended",
      { ...active, status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 5, 9)) },
      now,
    ],
    ["edge case 13: a subscription that ended months ago is refused as access-ended, not not-subscribed", { ...active, status: "canceled", accessEndsAt: new Date(Date.UTC(2025, 8, 1)) }, now],
    ["an event at the very instant access ends is refused", { ...active, status: "canceled", accessEndsAt: now }, now],
  ])("%s", (_, stored, occurredAt) => {
    expect(recordUsage({ catalog, firstMonth: "full", stored, ledger: ledgerAt(40_000), creditsCc: 1, occurredAt, limits: limits() })).toEqual({ accepted: false, reason: "access-ended" });
  });

  it("a Canceled user whose access lasts until the month's end still records usage; last active moves, status stays Canceled", () => {
    const canceled: Subscription = { ...active, status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 1, 1)) };
    expect(recordUsage({ catalog, firstMonth: "prorated", stored: canceled, ledger: ledgerAt(40_000), creditsCc: 5, occurredAt: now, limits: limits() })).toEqual({
      accepted: true,
      activated: false,
      subscription: { ...canceled, lastActiveAt: now },
      ledger: { ...ledgerAt(40_005) },
      split: { includedCc: 5, overageCc: 0, unbilledCc: 0, stoppedBy: null },
      allowanceCc: 100_000,
      notices: [],
    });
  });

  it.each([
    ["no subscription", null, "not-subscribed"],
    ["access ended", { ...active, status: "canceled" as const, accessEndsAt: now }, "access-ended"],
  ])("refuses an event with %s", (_, stored, reason) => {
    expect(recordUsage({ catalog, firstMonth: "full", stored, ledger: openLedger(jan, null), creditsCc: 1, occurredAt: now, limits: limits() })).toEqual({ accepted: false, reason });
  });

  it.each([
    ["crossing 80% of the allowance", ledgerAt(79_999), 1, ["allowance-80"]],
    ["not quite 80%", ledgerAt(79_998), 1, []],
    ["from under 80% straight past 100% into overage", ledgerAt(10_000), 95_000, ["allowance-80", "allowance-100", "overage-started"]],
    ["exactly to 100%", ledgerAt(99_000), 1_000, ["allowance-100"]],
    ["more overage after it started", ledgerAt(100_000, 10), 5, []],
  ])("notices: %s", (_, ledger, creditsCc, notices) => {
    const r = recordUsage({ catalog, firstMonth: "full", stored: active, ledger, creditsCc, occurredAt: now, limits: limits() });
    expect(r.accepted && r.notices).toEqual(notices);
  });

  it("notices: reaching the cap, exactly or by being stopped", () => {
    const exactly = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000, 400), creditsCc: 100, occurredAt: now, limits: limits({ userCap: 500 }) });
    expect(exactly.accepted && [exactly.split, exactly.notices]).toEqual([{ includedCc: 0, overageCc: 100, unbilledCc: 0, stoppedBy: null }, ["cap-reached"]]);
    const stopped = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000, 400), creditsCc: 300, occurredAt: now, limits: limits({ userCap: 500 }) });
    expect(stopped.accepted && stopped.notices).toEqual(["cap-reached"]);
    // Once reached, later events stopped by the cap reach nothing new.
    const after = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000, 500), creditsCc: 10, occurredAt: now, limits: limits({ userCap: 500 }) });
    expect(after.accepted && [after.split.stoppedBy, after.notices]).toEqual(["user-cap-reached", []]);
    const zero = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000), creditsCc: 10, occurredAt: now, limits: limits({ userCap: 0 }) });
    expect(zero.accepted && zero.notices).toEqual(["cap-reached"]);
    const off = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000), creditsCc: 300, occurredAt: now, limits: limits({ allowed: false }) });
    expect(off.accepted && off.notices).toEqual([]);
  });

  it("notices: the event whose overage uses the last of the profile's budget reaches it, once", () => {
    // A budget of $10 at 4 cents a credit is 25,000 cc of overage for the whole profile.
    const budget = (profileOverageCc: number) => limits({ budgetCents: 1_000, profileOverageCc });
    const exactly = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000, 10), creditsCc: 100, occurredAt: now, limits: budget(24_900) });
    expect(exactly.accepted && [exactly.split, exactly.notices]).toEqual([{ includedCc: 0, overageCc: 100, unbilledCc: 0, stoppedBy: null }, ["budget-reached"]]);
    const stopped = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000, 10), creditsCc: 300, occurredAt: now, limits: budget(24_900) });
    expect(stopped.accepted && [stopped.split.stoppedBy, stopped.notices]).toEqual(["profile-budget-reached", ["budget-reached"]]);
    // One centicredit short of the budget reaches nothing; once reached, later events reach nothing new.
    const short = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000, 10), creditsCc: 99, occurredAt: now, limits: budget(24_900) });
    expect(short.accepted && short.notices).toEqual([]);
    const after = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000, 10), creditsCc: 50, occurredAt: now, limits: budget(25_000) });
    expect(after.accepted && [after.split.stoppedBy, after.notices]).toEqual(["profile-budget-reached", []]);
    // The first overage of a user that also empties the budget: both notices.
    const first = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(99_950), creditsCc: 150, occurredAt: now, limits: budget(24_900) });
    expect(first.accepted && first.notices).toEqual(["allowance-100", "overage-started", "budget-reached"]);
    // Overage off: the budget is not the user's limit and is not reached by them.
    const off = recordUsage({ catalog, firstMonth: "full", stored: active, ledger: ledgerAt(100_000), creditsCc: 300, occurredAt: now, limits: { ...budget(24_900), allowed: false } });
    expect(off.accepted && off.notices).toEqual([]);
  });
});
