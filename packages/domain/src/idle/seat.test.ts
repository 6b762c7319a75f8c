import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../catalog/catalog";
import type { Subscription } from "../subscription/subscription";
import { deactivationSavingCents, idleDays, idleSince, seatMonthlyCostCents } from "./seat";

const now = new Date(Date.UTC(2026, 0, 31, 12));
const at = (d: number, h = 12) => new Date(Date.UTC(2026, 0, d, h));
const sub = (s: Partial<Subscription>): Subscription => ({
  tier: "pro",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: at(1),
  lastActiveAt: at(1),
  ...s,
});

describe("idleSince and idleDays", () => {
  const cases: [string, Subscription, Date, Date | null, number | null][] = [
    ["Active: since last active", sub({ lastActiveAt: at(10) }), at(2), at(10), 21],
    ["Active, last active 29 days 23 hours ago: 29 days", sub({ lastActiveAt: at(1, 13) }), at(2), at(1, 13), 29],
    ["Active with no last active: since activation", sub({ lastActiveAt: null, activatedAt: at(5) }), at(2), at(5), 26],
    ["Active with neither: since it became Pending", sub({ lastActiveAt: null, activatedAt: null }), at(3), at(3), 28],
    ["Pending: since it became Pending", sub({ status: "pending", activatedAt: null, lastActiveAt: null }), at(1), at(1), 30],
    ["Pending, subscribed just now: 0 days", sub({ status: "pending", activatedAt: null, lastActiveAt: null }), now, now, 0],
    ["Canceled with access left: never idle", sub({ status: "canceled", accessEndsAt: at(31, 23) }), at(1), null, null],
    ["ended: never idle", sub({ status: "canceled", accessEndsAt: at(20) }), at(1), null, null],
  ];
  it.each(cases)("%s", (_, subscription, pendingSince, since, days) => {
    expect(idleSince({ subscription, pendingSince }, now)).toEqual(since);
    expect(idleDays({ subscription, pendingSince }, now)).toBe(days);
  });
});

describe("seatMonthlyCostCents", () => {
  const cases: [string, Subscription, number][] = [
    ["Active Pro", sub({}), 2_000],
    ["Active Pro+", sub({ tier: "pro_plus" }), 4_000],
    ["Active Power", sub({ tier: "power" }), 20_000],
    ["Active Power with a downgrade already in force", sub({ tier: "power", scheduledTier: "pro", scheduledAt: at(20) }), 2_000],
    ["Active Power with a downgrade on the 1st", sub({ tier: "power", scheduledTier: "pro", scheduledAt: new Date(Date.UTC(2026, 1, 1)) }), 20_000],
    ["Pending Power costs nothing", sub({ tier: "power", status: "pending" }), 0],
    ["Canceled costs nothing from next month", sub({ tier: "power", status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 1, 1)) }), 0],
    ["ended", sub({ status: "canceled", accessEndsAt: at(2) }), 0],
  ];
  it.each(cases)("%s", (_, s, cents) => expect(seatMonthlyCostCents(defaultCatalog, s, now)).toBe(cents));
});

describe("deactivationSavingCents (a group keeps its tier, edge case 2)", () => {
  const cases: [string, Subscription, ("pro" | "pro_plus" | "power")[], number][] = [
    ["direct Power, no group: all of it", sub({ tier: "power" }), [], 20_000],
    ["direct Power, a Pro group: the difference", sub({ tier: "power" }), ["pro"], 18_000],
    ["direct Pro, a Power group: nothing", sub({ tier: "pro" }), ["power"], 0],
    ["direct Pro+, groups Pro and Pro+: nothing", sub({ tier: "pro_plus" }), ["pro", "pro_plus"], 0],
    ["Pending: nothing", sub({ tier: "power", status: "pending" }), [], 0],
  ];
  it.each(cases)("%s", (_, s, groups, cents) => expect(deactivationSavingCents(defaultCatalog, s, groups, now)).toBe(cents));
});
