import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../catalog/catalog";
import type { Subscription } from "../subscription/subscription";
import { decideIdle, idlePlanTotals, type IdleDecision, type IdleSeatState } from "./decision";
import type { IdleSettings } from "./settings";

const now = new Date(Date.UTC(2026, 2, 1, 12));
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const active = (lastActiveDaysAgo: number, s: Partial<IdleSeatState> = {}, sub: Partial<Subscription> = {}): IdleSeatState => ({
  subscription: {
    tier: "pro_plus",
    status: "active",
    scheduledTier: null,
    scheduledAt: null,
    accessEndsAt: null,
    activatedAt: daysAgo(200),
    lastActiveAt: daysAgo(lastActiveDaysAgo),
    ...sub,
  },
  pendingSince: daysAgo(300),
  warnedAt: null,
  direct: true,
  groupTiers: [],
  ...s,
});
const pending = (sinceDaysAgo: number, s: Partial<IdleSeatState> = {}): IdleSeatState => ({
  ...active(0, s, { status: "pending", activatedAt: null, lastActiveAt: null }),
  pendingSince: daysAgo(sinceDaysAgo),
});
const full: IdleSettings = { warnDays: 30, deactivateDays: 14, expireDays: 60 };
const d = (action: IdleDecision["action"], idleDays: number | null, deactivateOn: Date | null = null): IdleDecision => ({ action, idleDays, deactivateOn });

describe("decideIdle", () => {
  const cases: [string, IdleSettings, IdleSeatState, IdleDecision][] = [
    ["idle under the warning threshold: nothing", full, active(29), d("none", 29)],
    ["idle 30 days: warned, deactivated 14 days on if still idle", full, active(30), d("warn", 30, daysAgo(-14))],
    ["warn only: warned, no deactivation date", { ...full, deactivateDays: null }, active(45), d("warn", 45)],
    ["warned 13 days ago, still idle: waits", full, active(43, { warnedAt: daysAgo(13) }), d("none", 43)],
    ["warned 14 days ago, still idle: deactivated", full, active(44, { warnedAt: daysAgo(14) }), d("deactivate", 44)],
    ["warned, and the setting no longer deactivates: nothing", { ...full, deactivateDays: null }, active(80, { warnedAt: daysAgo(40) }), d("none", 80)],
    ["active again after the warning, idle under the threshold: nothing", full, active(5, { warnedAt: daysAgo(20) }), d("none", 5)],
    ["active again after the warning, idle again past it: warned anew", full, active(31, { warnedAt: daysAgo(60) }), d("warn", 31, daysAgo(-14))],
    ["warned at the instant of its last activity: the activity counts, warned anew", full, active(30, { warnedAt: daysAgo(30) }), d("warn", 30, daysAgo(-14))],
    ["warned and due, but only a group covers them: nothing to remove", full, active(44, { warnedAt: daysAgo(14), direct: false, groupTiers: ["pro"] }), d("none", 44)],
    ["a group-covered seat is still warned", full, active(30, { direct: false, groupTiers: ["pro"] }), d("warn", 30, daysAgo(-14))],
    ["warnings off: an idle Active seat is left alone", { warnDays: null, deactivateDays: null, expireDays: 60 }, active(300), d("none", 300)],
    ["Pending under the expiry: nothing", full, pending(59), d("none", 59)],
    ["Pending 60 days: expires", full, pending(60), d("expire", 60)],
    ["Pending is never warned", { ...full, expireDays: null }, pending(90), d("none", 90)],
    ["Pending, only a group covers them: does not expire", full, pending(90, { direct: false, groupTiers: ["pro"] }), d("none", 90)],
    ["Canceled: never acted on", full, active(300, {}, { status: "canceled", accessEndsAt: daysAgo(-10) }), d("none", null)],
    ["ended: never acted on", full, active(300, {}, { status: "canceled", accessEndsAt: daysAgo(10) }), d("none", null)],
  ];
  it.each(cases)("%s", (_, settings, seat, expected) => expect(decideIdle(settings, seat, now)).toEqual(expected));
});

describe("idlePlanTotals", () => {
  it("counts each decision and the money a month, with groups keeping their tier", () => {
    const seats: IdleSeatState[] = [
      active(30), // warn, Pro+ 4,000 at risk
      active(35, { groupTiers: ["pro"] }, { tier: "power" }), // warn, 20,000 - 2,000 at risk
      active(33, { direct: false, groupTiers: ["pro_plus"] }), // warn, nothing at risk: the group keeps them
      active(50, { warnedAt: daysAgo(15) }, { tier: "power" }), // deactivate, saves 20,000
      active(50, { warnedAt: daysAgo(15), groupTiers: ["pro_plus"] }, { tier: "power" }), // deactivate, saves 16,000
      active(10), // nothing
      pending(61), // expire
      pending(61, { direct: false }), // nothing
    ];
    expect(idlePlanTotals(defaultCatalog, full, seats, now)).toEqual({
      warn: { count: 3, savingCents: 22_000 },
      deactivate: { count: 2, savingCents: 36_000 },
      expire: { count: 1 },
    });
    expect(idlePlanTotals(defaultCatalog, { ...full, deactivateDays: null }, seats, now)).toEqual({
      warn: { count: 3, savingCents: 0 },
      deactivate: { count: 0, savingCents: 0 },
      expire: { count: 1 },
    });
  });
});
