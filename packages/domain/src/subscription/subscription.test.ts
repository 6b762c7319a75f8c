import { describe, expect, it } from "vitest";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { inForce, reconcile, type Subscription } from "./subscription";

const jan8 = new Date(Date.UTC(2026, 0, 8, 12));
const feb1 = new Date(Date.UTC(2026, 1, 1));
const active = (over: Partial<Subscription> = {}): Subscription => ({
  tier: "pro_plus",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2025, 11, 3)),
  lastActiveAt: new Date(Date.UTC(2026, 0, 7)),
  ...over,
});

describe("reconcile (DESIGN.md §2, Statuses and Changes)", () => {
  it.each([
    ["no subscription, gets a tier: new Pending", null, "pro", { kind: "subscribed", tier: "pro" }, { status: "pending", tier: "pro" }],
    ["Pending changes tier at once, even down", { ...active(), status: "pending" as const, tier: "power" as const }, "pro", { kind: "changed-now", from: "power", to: "pro" }, { status: "pending", tier: "pro" }],
    ["Active upgrade is immediate", active(), "power", { kind: "upgraded", from: "pro_plus", to: "power" }, { status: "active", tier: "power", scheduledTier: null }],
    ["Active downgrade is scheduled for the 1st", active(), "pro", { kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: feb1 }, { status: "active", tier: "pro_plus", scheduledTier: "pro", scheduledAt: feb1 }],
    ["a change back clears the scheduled downgrade", active({ scheduledTier: "pro", scheduledAt: feb1 }), "pro_plus", { kind: "scheduled-change-cleared", tier: "pro_plus" }, { tier: "pro_plus", scheduledTier: null }],
    ["an upgrade clears the scheduled downgrade", active({ scheduledTier: "pro", scheduledAt: feb1 }), "power", { kind: "upgraded", from: "pro_plus", to: "power" }, { tier: "power", scheduledTier: null }],
  ] as const)("%s", (_, before, tier, outcome, after) => {
    const r = reconcile(catalog, before, tier, jan8, "end-of-month");
    expect(r.outcome).toEqual(outcome);
    expect(r.subscription).toMatchObject(after);
  });

  it("losing the last assignment cancels an Active user until the month ends, and clears a scheduled downgrade (edge case 3)", () => {
    const r = reconcile(catalog, active({ scheduledTier: "pro", scheduledAt: feb1 }), null, jan8, "end-of-month");
    expect(r.outcome).toEqual({ kind: "canceled", accessEndsAt: feb1 });
    expect(r.subscription).toMatchObject({ status: "canceled", scheduledTier: null, accessEndsAt: feb1 });
  });

  it("with cancelAccess immediate, access ends now", () => {
    expect(reconcile(catalog, active(), null, jan8, "immediate").outcome).toEqual({ kind: "canceled", accessEndsAt: jan8 });
  });

  it("canceling a Pending subscription removes it", () => {
    expect(reconcile(catalog, { ...active(), status: "pending" }, null, jan8, "end-of-month")).toEqual({ subscription: null, outcome: { kind: "removed" } });
  });

  it("re-subscribing in the month of the cancel restores the tier held at the cancel, then applies the change (edge case 3)", () => {
    const canceled = active({ status: "canceled", accessEndsAt: feb1 });
    expect(reconcile(catalog, canceled, "pro_plus", jan8, "end-of-month").outcome).toEqual({ kind: "restored", tier: "pro_plus" });
    const lower = reconcile(catalog, canceled, "pro", jan8, "end-of-month");
    expect(lower.outcome).toEqual({ kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: feb1 });
    expect(lower.subscription).toMatchObject({ status: "active", accessEndsAt: null });
  });

  it("subscribing again after access ended starts Pending", () => {
    const ended = active({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 1)) });
    expect(reconcile(catalog, ended, "pro", jan8, "end-of-month")).toMatchObject({ outcome: { kind: "subscribed" }, subscription: { status: "pending", activatedAt: null } });
  });
});

describe("inForce (effective-dated transitions)", () => {
  it("a scheduled downgrade is in force from 00:00 UTC on the 1st, not a millisecond before", () => {
    const sub = active({ scheduledTier: "pro", scheduledAt: feb1 });
    expect(inForce(sub, new Date(feb1.getTime() - 1))?.tier).toBe("pro_plus");
    expect(inForce(sub, feb1)).toMatchObject({ tier: "pro", scheduledTier: null });
  });

  it("canceled access ends at its end time", () => {
    const sub = active({ status: "canceled", accessEndsAt: feb1 });
    expect(inForce(sub, new Date(feb1.getTime() - 1))).toBe(sub);
    expect(inForce(sub, feb1)).toBeNull();
  });
});
