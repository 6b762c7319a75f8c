import { describe, expect, it } from "vitest";
import { noteActive, openLedger } from "../billing/ledger";
import { defaultCatalog as catalog } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { periodFromParts } from "../time/period";
import { previewChange, type ChangePreview } from "./preview";
import type { Subscription } from "./subscription";

const jan = periodFromParts(2026, 0);
const now = new Date(Date.UTC(2026, 0, 8, 12));
const feb1 = new Date(Date.UTC(2026, 1, 1));
const active = (over: Partial<Subscription> = {}): Subscription => ({
  tier: "pro",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2025, 11, 3)),
  lastActiveAt: new Date(Date.UTC(2026, 0, 7)),
  ...over,
});
const pending = (tier: TierId): Subscription => active({ tier, status: "pending", activatedAt: null, lastActiveAt: null });

const preview = (subscription: Subscription | null, effectiveTier: TierId | null, over: Partial<Parameters<typeof previewChange>[0]> = {}) =>
  previewChange({ catalog, subscription, ledger: openLedger(jan, subscription), effectiveTier, now, cancelAccess: "end-of-month", firstMonth: "full", ...over });

describe("previewChange: what a change would do, when, and the money involved (DESIGN.md §2 Changes)", () => {
  it.each<[string, Subscription | null, TierId | null, ChangePreview]>([
    [
      "an upgrade of an Active user is immediate: Pro → Power mid-month charges the Power price in full (+$180)",
      active({ tier: "pro" }),
      "power",
      {
        outcome: { kind: "upgraded", from: "pro", to: "power" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 2_000, after: 20_000, delta: 18_000 },
        nextMonthCents: 20_000,
        after: active({ tier: "power" }),
      },
    ],
    [
      "a downgrade of an Active user is scheduled for 00:00 UTC on the 1st: Pro+ → Pro keeps this month at $40, next month $20",
      active({ tier: "pro_plus" }),
      "pro",
      {
        outcome: { kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: feb1 },
        effectiveAt: feb1,
        when: "next-month",
        thisMonthEstimateCents: { before: 4_000, after: 4_000, delta: 0 },
        nextMonthCents: 2_000,
        after: active({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: feb1 }),
      },
    ],
    [
      "a Pending subscription's tier changes at once, down too, and costs nothing: Power → Pro",
      pending("power"),
      "pro",
      {
        outcome: { kind: "changed-now", from: "power", to: "pro" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 0, after: 0, delta: 0 },
        nextMonthCents: 2_000,
        after: pending("pro"),
      },
    ],
    [
      "no subscription: subscribing makes a Pending subscription that costs nothing until activated",
      null,
      "pro_plus",
      {
        outcome: { kind: "subscribed", tier: "pro_plus" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 0, after: 0, delta: 0 },
        nextMonthCents: 4_000,
        after: { tier: "pro_plus", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null },
      },
    ],
    [
      "unsubscribing an Active user cancels it with access until the month ends: the month stays charged, nothing next month",
      active({ tier: "pro" }),
      null,
      {
        outcome: { kind: "canceled", accessEndsAt: feb1 },
        effectiveAt: feb1,
        when: "next-month",
        thisMonthEstimateCents: { before: 2_000, after: 2_000, delta: 0 },
        nextMonthCents: 0,
        after: active({ tier: "pro", status: "canceled", accessEndsAt: feb1 }),
      },
    ],
    [
      "canceling clears a scheduled downgrade (edge case 3); the month stays charged at the higher tier",
      active({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: feb1 }),
      null,
      {
        outcome: { kind: "canceled", accessEndsAt: feb1 },
        effectiveAt: feb1,
        when: "next-month",
        thisMonthEstimateCents: { before: 4_000, after: 4_000, delta: 0 },
        nextMonthCents: 0,
        after: active({ tier: "pro_plus", status: "canceled", accessEndsAt: feb1 }),
      },
    ],
    [
      "unsubscribing a Pending user removes the subscription, at no cost",
      pending("pro"),
      null,
      {
        outcome: { kind: "removed" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 0, after: 0, delta: 0 },
        nextMonthCents: 0,
        after: null,
      },
    ],
    [
      "a change back clears a scheduled downgrade: next month stays at the current price",
      active({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: feb1 }),
      "pro_plus",
      {
        outcome: { kind: "scheduled-change-cleared", tier: "pro_plus" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 4_000, after: 4_000, delta: 0 },
        nextMonthCents: 4_000,
        after: active({ tier: "pro_plus" }),
      },
    ],
    [
      "an upgrade clears a scheduled downgrade",
      active({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: feb1 }),
      "power",
      {
        outcome: { kind: "upgraded", from: "pro_plus", to: "power" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 4_000, after: 20_000, delta: 16_000 },
        nextMonthCents: 20_000,
        after: active({ tier: "power" }),
      },
    ],
    [
      "no change: unchanged, nothing to pay",
      active({ tier: "pro" }),
      "pro",
      {
        outcome: { kind: "unchanged", tier: "pro" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 2_000, after: 2_000, delta: 0 },
        nextMonthCents: 2_000,
        after: active({ tier: "pro" }),
      },
    ],
    [
      "nothing before and nothing after: none",
      null,
      null,
      {
        outcome: { kind: "none" },
        effectiveAt: now,
        when: "now",
        thisMonthEstimateCents: { before: 0, after: 0, delta: 0 },
        nextMonthCents: 0,
        after: null,
      },
    ],
  ])("%s", (_, subscription, effectiveTier, expected) => {
    expect(preview(subscription, effectiveTier)).toEqual(expected);
  });

  it("with cancelAccess immediate, unsubscribing ends access now; the month stays charged", () => {
    expect(preview(active({ tier: "pro" }), null, { cancelAccess: "immediate" })).toEqual({
      outcome: { kind: "canceled", accessEndsAt: now },
      effectiveAt: now,
      when: "now",
      thisMonthEstimateCents: { before: 2_000, after: 2_000, delta: 0 },
      nextMonthCents: 0,
      after: active({ tier: "pro", status: "canceled", accessEndsAt: now }),
    });
  });

  it("re-subscribing a Canceled user in the month of the cancel restores access without a second charge", () => {
    const canceled = active({ tier: "pro_plus", status: "canceled", accessEndsAt: feb1 });
    const ledger = openLedger(jan, active({ tier: "pro_plus" }));
    expect(previewChange({ catalog, subscription: canceled, ledger, effectiveTier: "pro_plus", now, cancelAccess: "end-of-month", firstMonth: "full" })).toEqual({
      outcome: { kind: "restored", tier: "pro_plus" },
      effectiveAt: now,
      when: "now",
      thisMonthEstimateCents: { before: 4_000, after: 4_000, delta: 0 },
      nextMonthCents: 4_000,
      after: active({ tier: "pro_plus" }),
    });
  });

  it("firstMonth prorated: a user first activated on April 21 (30-day month) upgrading Pro → Pro+ goes from $6.67 to $13.33", () => {
    const april = periodFromParts(2026, 3);
    const apr21 = new Date(Date.UTC(2026, 3, 21, 10));
    const apr25 = new Date(Date.UTC(2026, 3, 25, 12));
    const sub = active({ tier: "pro", activatedAt: apr21, lastActiveAt: apr21 });
    const ledger = noteActive(catalog, openLedger(april, pending("pro")), "pro", apr21, "prorated");
    expect(previewChange({ catalog, subscription: sub, ledger, effectiveTier: "pro_plus", now: apr25, cancelAccess: "end-of-month", firstMonth: "prorated" })).toEqual({
      outcome: { kind: "upgraded", from: "pro", to: "pro_plus" },
      effectiveAt: apr25,
      when: "now",
      thisMonthEstimateCents: { before: 667, after: 1_333, delta: 666 },
      nextMonthCents: 4_000,
      after: active({ tier: "pro_plus", activatedAt: apr21, lastActiveAt: apr21 }),
    });
  });

  it("edge case 12: a month begun under firstMonth full stays full in the preview after the setting became prorated", () => {
    const april = periodFromParts(2026, 3);
    const apr21 = new Date(Date.UTC(2026, 3, 21, 10));
    const apr25 = new Date(Date.UTC(2026, 3, 25, 12));
    const sub = active({ tier: "pro", activatedAt: apr21, lastActiveAt: apr21 });
    const ledger = noteActive(catalog, openLedger(april, pending("pro")), "pro", apr21, "full");
    expect(previewChange({ catalog, subscription: sub, ledger, effectiveTier: "pro_plus", now: apr25, cancelAccess: "end-of-month", firstMonth: "prorated" })).toEqual({
      outcome: { kind: "upgraded", from: "pro", to: "pro_plus" },
      effectiveAt: apr25,
      when: "now",
      thisMonthEstimateCents: { before: 2_000, after: 4_000, delta: 2_000 },
      nextMonthCents: 4_000,
      after: active({ tier: "pro_plus", activatedAt: apr21, lastActiveAt: apr21 }),
    });
  });

  it("edge case 10: re-subscribing in the month of an immediate cancel restores access at the tier held, without a second charge", () => {
    const jan5 = new Date(Date.UTC(2026, 0, 5, 9));
    const ended = active({ tier: "pro_plus", status: "canceled", accessEndsAt: jan5 });
    const ledger = openLedger(jan, active({ tier: "pro_plus" }));
    expect(previewChange({ catalog, subscription: ended, ledger, effectiveTier: "pro_plus", now, cancelAccess: "immediate", firstMonth: "prorated" })).toEqual({
      outcome: { kind: "restored", tier: "pro_plus" },
      effectiveAt: now,
      when: "now",
      thisMonthEstimateCents: { before: 4_000, after: 4_000, delta: 0 },
      nextMonthCents: 4_000,
      after: active({ tier: "pro_plus" }),
    });
  });

  it("edge case 15: the same downgrade requested again is unchanged, with nothing to pay and nothing new scheduled", () => {
    const scheduled = active({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: feb1 });
    expect(preview(scheduled, "pro")).toEqual({
      outcome: { kind: "unchanged", tier: "pro_plus" },
      effectiveAt: now,
      when: "now",
      thisMonthEstimateCents: { before: 4_000, after: 4_000, delta: 0 },
      nextMonthCents: 2_000,
      after: scheduled,
    });
  });

  it("is only a preview: the subscription and the ledger it is given are not modified", () => {
    const sub = active({ tier: "pro", scheduledTier: null });
    const ledger = { ...openLedger(jan, sub), includedCc: 100_000, overageCc: 50_000 };
    const copies = structuredClone({ sub, ledger });
    const p = previewChange({ catalog, subscription: sub, ledger, effectiveTier: "pro_plus", now, cancelAccess: "end-of-month", firstMonth: "full" });
    expect(p.thisMonthEstimateCents).toEqual({ before: 2_000, after: 4_000, delta: 2_000 });
    expect({ sub, ledger }).toEqual(copies);
  });
});
