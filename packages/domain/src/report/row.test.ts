import { describe, expect, it } from "vitest";
import type { Subscription } from "../subscription/subscription";
import type { ActivityRow } from "./columns";
import { activityRowOf, activityRowWith, activityUserColumnsOf, isNewUserOn, reportStatusOf, type DayClientUsage, type ReportUserFacts } from "./row";

const now = new Date(Date.UTC(2026, 0, 9, 0, 5));
const sub = (over: Partial<Subscription> = {}): Subscription => ({
  tier: "pro",
  status: "active",
  scheduledTier: null,
  scheduledAt: null,
  accessEndsAt: null,
  activatedAt: new Date(Date.UTC(2026, 0, 8, 9)),
  lastActiveAt: new Date(Date.UTC(2026, 0, 8, 18)),
  ...over,
});
const usage: DayClientUsage = { day: "2026-01-08", userId: "u-1", client: "cli", events: 4, includedCc: 900, overageCc: 200, unbilledCc: 25 };
const facts = (over: Partial<ReportUserFacts> = {}): ReportUserFacts => ({
  profileId: "p-1",
  userName: "ada",
  email: "ada@example.com",
  subscription: sub(),
  profileOveragesEnabled: false,
  overageSwitch: "inherit",
  userCap: null,
  groupCaps: [],
  profileDefaultCap: null,
  ...over,
});
const base: ActivityRow = {
  day: "2026-01-08",
  profileId: "p-1",
  userId: "u-1",
  userName: "ada",
  email: "ada@example.com",
  client: "cli",
  events: 4,
  creditsCc: 1125,
  includedCc: 900,
  overageCc: 200,
  unbilledCc: 25,
  tier: "pro",
  status: "active",
  overageEnabled: false,
  overageCapCc: "unlimited",
  newUser: true,
  lastActiveAt: "2026-01-08T18:00:00.000Z",
};

describe("activityRowOf: one user, day and client (issue 15)", () => {
  it.each<[string, Partial<ReportUserFacts>, Partial<ActivityRow>]>([
    ["active, activated that day, overage off, no cap anywhere", {}, {}],
    ["the profile allows overage; the profile default cap", { profileOveragesEnabled: true, profileDefaultCap: 50_000 }, { overageEnabled: true, overageCapCc: 50_000 }],
    ["the user's switch off beats the profile's on", { profileOveragesEnabled: true, overageSwitch: "off" }, { overageEnabled: false }],
    ["the user's switch on beats the profile's off", { overageSwitch: "on" }, { overageEnabled: true }],
    ["the most generous group wins over the default (edge case 5)", { profileDefaultCap: 90_000, groupCaps: [10_000, 30_000] }, { overageCapCc: 30_000 }],
    ["a group's unlimited", { groupCaps: [10_000, "unlimited"] }, { overageCapCc: "unlimited" }],
    ["the user's own override wins", { userCap: 0, groupCaps: ["unlimited"], profileDefaultCap: 5 }, { overageCapCc: 0 }],
    ["activated another day: not new", { subscription: sub({ activatedAt: new Date(Date.UTC(2026, 0, 2)) }) }, { newUser: false }],
    [
      "a downgrade scheduled for a date already come shows the tier in force",
      { subscription: sub({ tier: "power", scheduledTier: "pro_plus", scheduledAt: new Date(Date.UTC(2026, 0, 9)) }) },
      { tier: "pro_plus" },
    ],
    ["canceled, access until the month's end", { subscription: sub({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 1, 1)) }) }, { status: "canceled" }],
    ["access over: ended (edge case 13)", { subscription: sub({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 8, 20)) }) }, { status: "ended" }],
    ["no subscription any more", { subscription: null }, { status: "none", tier: null, newUser: false, lastActiveAt: null }],
  ])("%s", (_, over, expected) => {
    expect(activityRowOf(usage, facts(over), now)).toEqual({ ...base, ...expected });
  });

  it.each<[string, Partial<ReportUserFacts>]>([
    ["active, activated that day", {}],
    ["a group's cap and the user's switch", { groupCaps: [10_000, 30_000], overageSwitch: "on" }],
    ["access over", { subscription: sub({ status: "canceled", accessEndsAt: new Date(Date.UTC(2026, 0, 8, 20)) }) }],
    ["no subscription", { subscription: null }],
  ])("the user's columns, decided once, give each client's row as activityRowOf does: %s", (_, over) => {
    const user = activityUserColumnsOf(facts(over), usage.day, now);
    const ide: DayClientUsage = { ...usage, client: "ide", events: 1, includedCc: 0, overageCc: 0, unbilledCc: 7 };
    for (const u of [usage, ide]) expect(activityRowWith(u, user)).toEqual(activityRowOf(u, facts(over), now));
  });

  it("reportStatusOf and isNewUserOn at the day's edges", () => {
    expect(reportStatusOf(sub({ status: "pending", activatedAt: null }), now)).toEqual({ status: "pending", tier: "pro" });
    expect(isNewUserOn(null, "2026-01-08")).toBe(false);
    expect(isNewUserOn(new Date(Date.UTC(2026, 0, 9)), "2026-01-08")).toBe(false);
    expect(isNewUserOn(new Date(Date.UTC(2026, 0, 8, 23, 59, 59, 999)), "2026-01-08")).toBe(true);
  });
});
