import { describe, expect, it } from "vitest";
import { computeCharge } from "../billing/charges";
import { noteActive, openLedger, type MonthLedger } from "../billing/ledger";
import { defaultCatalog as catalog } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { periodOf } from "../time/period";
import { decideEntitlement } from "../usage/entitlement";
import { recordUsage } from "../usage/record";
import type { OverageLimits } from "../usage/split";
import { activate } from "./activate";
import {
  effectiveTier,
  inForce,
  isRestorable,
  reconcile,
  removeByIdentityProvider,
  type CancelAccessMode,
  type ReconcileResult,
  type Subscription,
} from "./subscription";

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

const jan = periodOf(jan8);
const jan5 = new Date(Date.UTC(2026, 0, 5, 9));
const jan20 = new Date(Date.UTC(2026, 0, 20, 9));
const feb10 = new Date(Date.UTC(2026, 1, 10, 12));
const noLimits: OverageLimits = { allowed: true, userCap: "unlimited", budgetCents: null, profileOverageCc: 0, overageCentsPerCredit: 4 };
const pendingOf = (tier: TierId): Subscription => ({ tier, status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null });

describe("effectiveTier: the highest covering tier; none for a person the identity provider set inactive (edge case 9)", () => {
  it.each<[string, TierId[], boolean, TierId | null]>([
    ["no assignment covers them", [], false, null],
    ["one direct assignment", ["pro"], false, "pro"],
    ["direct and group assignments: the highest wins", ["pro", "power", "pro_plus"], false, "power"],
    ["inactive: none, however they are covered", ["power", "pro"], true, null],
    ["inactive and uncovered: none", [], true, null],
  ])("%s", (_, tiers, inactive, expected) => {
    expect(effectiveTier(catalog, tiers, inactive)).toBe(expected);
  });
});

describe("isRestorable: access lost in the month of now (or not yet lost) can be restored (edge cases 3 and 10)", () => {
  it.each<[string, Subscription, Date, boolean]>([
    ["Canceled with access until the month's end", active({ status: "canceled", accessEndsAt: feb1 }), jan20, true],
    ["Canceled, access ended earlier this month (immediate cancel or the identity provider)", active({ status: "canceled", accessEndsAt: jan5 }), jan20, true],
    ["Canceled, access ended 1 ms into this month", active({ status: "canceled", accessEndsAt: new Date(jan.start.getTime() + 1) }), jan20, true],
    ["Canceled, access ended at 00:00 on the 1st of this month (a cancel in the previous month): ended", active({ status: "canceled", accessEndsAt: jan.start }), jan20, false],
    ["Canceled, access ended last month", active({ status: "canceled", accessEndsAt: new Date(Date.UTC(2025, 11, 20)) }), jan20, false],
    ["edge case 1: at 00:00:00.000 on the 1st an end-of-month cancel of the old month has ended", active({ status: "canceled", accessEndsAt: feb1 }), feb1, false],
    ["1 ms before the month ends, an end-of-month cancel is still restorable", active({ status: "canceled", accessEndsAt: feb1 }), new Date(feb1.getTime() - 1), true],
    ["Active: nothing to restore", active(), jan20, false],
    ["Pending: nothing to restore", pendingOf("pro"), jan20, false],
    ["Canceled without an access end: nothing to restore", active({ status: "canceled", accessEndsAt: null }), jan20, false],
  ])("%s", (_, sub, now, expected) => {
    expect(isRestorable(sub, now)).toBe(expected);
  });
});

/** The ways a user Active at Pro+ can lose access on Jan 8 (edge case 10), each as the stored subscription it leaves. */
const losses: [string, () => Subscription][] = [
  ["a cancel with cancelAccess end-of-month", () => reconcile(catalog, active(), null, jan8, "end-of-month").subscription!],
  ["a cancel with cancelAccess immediate", () => reconcile(catalog, active(), null, jan8, "immediate").subscription!],
  ["the loss of the last covering assignment", () => reconcile(catalog, active(), effectiveTier(catalog, [], false), jan8, "end-of-month").subscription!],
  ["the identity provider's deactivation", () => removeByIdentityProvider(catalog, active(), jan8).subscription!],
  [
    "a cancel with access until the month's end, then the identity provider's deactivation (edge case 11)",
    () => removeByIdentityProvider(catalog, reconcile(catalog, active(), null, jan5, "end-of-month").subscription, jan8).subscription!,
  ],
];

describe("edge case 10: re-subscribing in the same month restores access without a second charge, however access was lost", () => {
  const cancelAccessModes: CancelAccessMode[] = ["end-of-month", "immediate"];
  it.each(losses.flatMap(([how, lose]) => cancelAccessModes.map((mode) => [how, mode, lose] as const)))(
    "after %s, re-subscribed on Jan 20 at the same tier (profile cancelAccess %s): restored Active at Pro+",
    (_, mode, lose) => {
      const lost = lose();
      expect(lost).toMatchObject({ status: "canceled" });
      // The identity provider's reactivation covers them again: their effective tier is back.
      expect(reconcile(catalog, lost, effectiveTier(catalog, ["pro_plus"], false), jan20, mode)).toEqual<ReconcileResult>({
        subscription: active(),
        outcome: { kind: "restored", tier: "pro_plus" },
      });
    },
  );

  it.each(losses)("after %s: the month's fee is unchanged by the restore (no second charge), also in a first paid month begun prorated", (_, lose) => {
    const lost = lose();
    const restored = reconcile(catalog, lost, "pro_plus", jan20, "end-of-month").subscription!;
    const atStart = openLedger(jan, active());
    const firstMonth = noteActive(catalog, openLedger(jan, null), "pro_plus", new Date(Date.UTC(2026, 0, 2, 9)), "prorated");
    const charged = (l: MonthLedger) => computeCharge(catalog, l, jan);
    expect(restored.status).toBe("active");
    expect([charged(noteActive(catalog, atStart, restored.tier, jan20, "prorated")), charged(noteActive(catalog, firstMonth, restored.tier, jan20, "full"))]).toEqual([
      charged(atStart),
      charged(firstMonth),
    ]);
    expect([charged(atStart).feeCents, charged(firstMonth).feeCents]).toEqual([4_000, 3_871]); // $40 × 30/31 = 3,870.97
  });

  it.each<[string, TierId, ReconcileResult]>([
    [
      "at a lower tier: restored at Pro+ (the tier held at the loss, edge case 3), then Pro is a scheduled downgrade",
      "pro",
      { subscription: active({ scheduledTier: "pro", scheduledAt: feb1 }), outcome: { kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: feb1 } },
    ],
    ["at a higher tier: restored, then upgraded at once", "power", { subscription: active({ tier: "power" }), outcome: { kind: "upgraded", from: "pro_plus", to: "power" } }],
  ])("after an immediate cancel, re-subscribed %s", (_, tier, expected) => {
    const lost = reconcile(catalog, active(), null, jan8, "immediate").subscription;
    expect(reconcile(catalog, lost, tier, jan20, "immediate")).toEqual(expected);
  });

  it.each(losses)("after %s, re-subscribed in a later month: a new Pending subscription", (_, lose) => {
    expect(reconcile(catalog, lose(), "pro_plus", feb10, "end-of-month")).toEqual<ReconcileResult>({
      subscription: pendingOf("pro_plus"),
      outcome: { kind: "subscribed", tier: "pro_plus" },
    });
  });

  it("a Pending user removed by the identity provider and reactivated starts Pending again (nothing to restore)", () => {
    const removed = removeByIdentityProvider(catalog, pendingOf("pro"), jan8);
    expect(removed).toEqual<ReconcileResult>({ subscription: null, outcome: { kind: "removed" } });
    expect(reconcile(catalog, removed.subscription, "pro", jan20, "end-of-month")).toEqual<ReconcileResult>({
      subscription: pendingOf("pro"),
      outcome: { kind: "subscribed", tier: "pro" },
    });
  });
});

describe("removeByIdentityProvider: a person who left loses access at once, whatever cancelAccess (DESIGN.md §2 Canceled)", () => {
  it.each<[string, Subscription | null, ReconcileResult]>([
    ["Active: Canceled with access ending now", active(), { subscription: active({ status: "canceled", accessEndsAt: jan20 }), outcome: { kind: "canceled", accessEndsAt: jan20 } }],
    [
      "Active with a scheduled downgrade: Canceled now, the downgrade cleared",
      active({ scheduledTier: "pro", scheduledAt: feb1 }),
      { subscription: active({ status: "canceled", accessEndsAt: jan20 }), outcome: { kind: "canceled", accessEndsAt: jan20 } },
    ],
    ["Pending: removed", pendingOf("pro"), { subscription: null, outcome: { kind: "removed" } }],
    ["no subscription: nothing", null, { subscription: null, outcome: { kind: "none" } }],
    [
      "edge case 11: already Canceled with access until the month's end: access ends now",
      active({ status: "canceled", accessEndsAt: feb1 }),
      { subscription: active({ status: "canceled", accessEndsAt: jan20 }), outcome: { kind: "access-ended", at: jan20 } },
    ],
    [
      "already Canceled, access ended earlier (immediate): kept as history, nothing changes",
      active({ status: "canceled", accessEndsAt: jan5 }),
      { subscription: active({ status: "canceled", accessEndsAt: jan5 }), outcome: { kind: "none" } },
    ],
    [
      "already Canceled, access ending exactly now: kept as history, nothing changes",
      active({ status: "canceled", accessEndsAt: jan20 }),
      { subscription: active({ status: "canceled", accessEndsAt: jan20 }), outcome: { kind: "none" } },
    ],
  ])("%s", (_, before, expected) => {
    expect(removeByIdentityProvider(catalog, before, jan20)).toEqual(expected);
  });
});

describe("edge case 11: the identity provider ends access at once even for a user already Canceled until the month's end", () => {
  const canceled = reconcile(catalog, active(), null, jan8, "end-of-month").subscription!;
  const left = removeByIdentityProvider(catalog, canceled, jan20);
  const ledger = { ...openLedger(jan, active()), includedCc: 40_000 };
  const after = new Date(jan20.getTime() + 1);

  it("the removal: outcome access-ended at the instant, access ends then", () => {
    expect(canceled.accessEndsAt).toEqual(feb1);
    expect(left).toEqual<ReconcileResult>({ subscription: active({ status: "canceled", accessEndsAt: jan20 }), outcome: { kind: "access-ended", at: jan20 } });
  });

  it.each<[string, Date]>([
    ["at the instant of the removal", jan20],
    ["1 ms later", after],
    ["on the last day of the month it had access until", new Date(Date.UTC(2026, 0, 31, 23, 59))],
  ])("usage %s is refused as access-ended", (_, at) => {
    expect(recordUsage({ catalog, firstMonth: "full", stored: left.subscription, ledger, creditsCc: 1, occurredAt: at, limits: noLimits })).toEqual({ accepted: false, reason: "access-ended" });
  });

  it("the check says access-ended, while before the removal it said ok", () => {
    const check = (sub: Subscription | null) => decideEntitlement({ catalog, subscription: sub, ledger, limits: noLimits, now: after });
    expect(check(canceled)).toEqual({ allowed: true, reason: "ok", allowanceCc: 200_000, usedCc: 40_000, overageUsedCc: 0, headroomCc: 160_000, periodEnd: feb1, accessEndedAt: null });
    expect(check(left.subscription)).toEqual({ allowed: false, reason: "access-ended", allowanceCc: 0, usedCc: 40_000, overageUsedCc: 0, headroomCc: 0, periodEnd: feb1, accessEndedAt: jan20 });
  });
});

describe("edge case 13: an ended subscription is history, never deleted", () => {
  const endedAt = new Date(Date.UTC(2026, 0, 1));
  const ended = active({ status: "canceled", accessEndsAt: endedAt });
  const march = new Date(Date.UTC(2026, 2, 10, 12));
  const marchLedger = openLedger(periodOf(march), ended);

  it.each<[string, CancelAccessMode]>([
    ["reconciled with no tier (end-of-month): kept unchanged, outcome none", "end-of-month"],
    ["reconciled with no tier (immediate): kept unchanged, outcome none", "immediate"],
  ])("%s", (_, mode) => {
    expect(reconcile(catalog, ended, null, march, mode)).toEqual<ReconcileResult>({ subscription: ended, outcome: { kind: "none" } });
  });

  it("usage is refused as access-ended, not not-subscribed", () => {
    expect(recordUsage({ catalog, firstMonth: "full", stored: ended, ledger: marchLedger, creditsCc: 1, occurredAt: march, limits: noLimits })).toEqual({ accepted: false, reason: "access-ended" });
  });

  it("the check says access-ended, not not-subscribed", () => {
    expect(decideEntitlement({ catalog, subscription: ended, ledger: marchLedger, limits: noLimits, now: march })).toEqual({
      allowed: false, reason: "access-ended", allowanceCc: 0, usedCc: 0, overageUsedCc: 0, headroomCc: 0, periodEnd: new Date(Date.UTC(2026, 3, 1)), accessEndedAt: endedAt,
    });
  });

  it("activation is refused with ACCESS_ENDED naming the field and when access ended", () => {
    expect(() => activate(catalog, ended, marchLedger, march, "full", "userId")).toThrow(
      expect.objectContaining({ name: "DomainError", code: "ACCESS_ENDED", field: "userId", message: "userId: their access ended at 2026-01-01T00:00:00.000Z" }),
    );
  });

  it("subscribed again it starts Pending (DESIGN.md §2 Changes)", () => {
    expect(reconcile(catalog, ended, "pro", march, "end-of-month")).toEqual<ReconcileResult>({ subscription: pendingOf("pro"), outcome: { kind: "subscribed", tier: "pro" } });
  });
});

describe("edge case 15: a change that changes nothing answers unchanged", () => {
  it.each<[string, Subscription, TierId, ReconcileResult]>([
    [
      "the same downgrade requested again",
      active({ scheduledTier: "pro", scheduledAt: feb1 }),
      "pro",
      { subscription: active({ scheduledTier: "pro", scheduledAt: feb1 }), outcome: { kind: "unchanged", tier: "pro_plus" } },
    ],
    ["subscribing an Active user at the tier already held", active(), "pro_plus", { subscription: active(), outcome: { kind: "unchanged", tier: "pro_plus" } }],
    ["subscribing a Pending user at the tier already held", pendingOf("power"), "power", { subscription: pendingOf("power"), outcome: { kind: "unchanged", tier: "power" } }],
    [
      "a different downgrade than the one scheduled is a change: the new one replaces it",
      active({ tier: "power", scheduledTier: "pro_plus", scheduledAt: feb1 }),
      "pro",
      { subscription: active({ tier: "power", scheduledTier: "pro", scheduledAt: feb1 }), outcome: { kind: "downgrade-scheduled", from: "power", to: "pro", at: feb1 } },
    ],
  ])("%s", (_, before, tier, expected) => {
    const first = reconcile(catalog, before, tier, jan8, "end-of-month");
    expect(first).toEqual(expected);
  });

  it("the same downgrade twice in a row: the first schedules it, the second is unchanged and keeps the same subscription", () => {
    const first = reconcile(catalog, active(), "pro", jan8, "end-of-month");
    const second = reconcile(catalog, first.subscription, "pro", jan20, "end-of-month");
    expect([first.outcome, second]).toEqual([
      { kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: feb1 },
      { subscription: first.subscription, outcome: { kind: "unchanged", tier: "pro_plus" } },
    ]);
    expect(second.subscription).toBe(first.subscription);
  });
});
