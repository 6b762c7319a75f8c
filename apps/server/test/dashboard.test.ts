import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { and, eq, inArray } from "drizzle-orm";
import { inForce, subscriptionStatuses, tierIds } from "@seatdesk/domain";
import { subscriptionMonths, subscriptions } from "@seatdesk/db";
import { toDomain } from "../src/services/reconcile";
import { activateAt, callerAs, harnessForFile, makeTenant, recordUsage, setBudget, subscribeAt, testNow, unassignAt, writeCounts } from "./harness";

const h = harnessForFile({ resetClock: true });

const at = (iso: string) => new Date(iso);

/**
 * One profile seen on 8 January 2026 at 12:00 (testNow). Users by index:
 * 0: Active Power since 10 December; a downgrade to Pro scheduled on 15 December for 1 January: now Pro.
 * 1: Active Pro+ since 10 December; 500 credits from the IDE on the 3rd.
 * 2: Active Pro from 9 December 12:00, canceled on the 20th: access ended on 1 January, no longer current.
 * 3: Active Pro since 10 December, canceled on the 5th (access to the month's end); 1,000 credits + 20.13 of overage from the CLI on the 4th.
 * 4: subscribed Pro+ on the 6th, Pending.
 * 5: subscribed Power on the 6th, activated by 300 credits from the IDE on the 7th at 18:00.
 * 6: not subscribed.
 */
async function januaryProfile() {
  const t = await makeTenant(h, { users: 7 });
  const u = t.userIds as [string, string, string, string, string, string, string];
  await subscribeAt(h, t, [u[0]], "power", at("2025-12-09T09:00:00Z"));
  await subscribeAt(h, t, [u[1]], "pro_plus", at("2025-12-09T09:00:00Z"));
  await subscribeAt(h, t, [u[2], u[3]], "pro", at("2025-12-09T09:00:00Z"));
  await activateAt(h, t, [u[2]], at("2025-12-09T12:00:00Z"));
  await activateAt(h, t, [u[0], u[1], u[3]], at("2025-12-10T12:00:00Z"));
  await subscribeAt(h, t, [u[0]], "pro", at("2025-12-15T09:00:00Z"));
  await unassignAt(h, t, [u[2]], at("2025-12-20T09:00:00Z"));
  await recordUsage(h, t, u[1], at("2026-01-03T09:00:00Z"), { includedCc: 50_000, overageCc: 0, unbilledCc: 0 }, "ide");
  await recordUsage(h, t, u[3], at("2026-01-04T09:00:00Z"), { includedCc: 100_000, overageCc: 2013, unbilledCc: 0 }, "cli");
  await unassignAt(h, t, [u[3]], at("2026-01-05T09:00:00Z"));
  await subscribeAt(h, t, [u[4]], "pro_plus", at("2026-01-06T09:00:00Z"));
  await subscribeAt(h, t, [u[5]], "power", at("2026-01-06T09:00:00Z"));
  await recordUsage(h, t, u[5], at("2026-01-07T18:00:00Z"), { includedCc: 30_000, overageCc: 0, unbilledCc: 0 }, "ide");
  await recordUsage(h, t, u[0], at("2026-01-08T10:00:00Z"), { includedCc: 100, overageCc: 0, unbilledCc: 0 }, "ide");
  h.clock.set(testNow);
  return { t, u };
}

describe("dashboard.summary", () => {
  it("counts current subscriptions by the tier in force and status, with the effective-dated meaning of DESIGN.md §2", async () => {
    const { t, u } = await januaryProfile();
    const summary = await callerAs(h, t.admins.viewer).dashboard.summary({ profileId: t.profileId });
    expect(summary.periodId).toBe("2026-01");
    expect(summary.asOf).toBe(testNow.toISOString());
    expect(summary.subscriptions).toEqual({
      total: 5,
      byStatus: { pending: 1, active: 3, canceled: 1 },
      byTier: [
        // 0 at Pro (the downgrade's date has come; no close has run) and 3 (Canceled, access until the month's end).
        { tier: "pro", total: 2, byStatus: { pending: 0, active: 1, canceled: 1 } },
        { tier: "pro_plus", total: 2, byStatus: { pending: 1, active: 1, canceled: 0 } },
        { tier: "power", total: 1, byStatus: { pending: 0, active: 1, canceled: 0 } },
      ],
    });
    // The rows still say what they said before the 1st: the dashboard applies the dates, not a close.
    const stored = await h.database.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId), inArray(subscriptions.userId, [u[0], u[2]])));
    expect(stored.find((r) => r.userId === u[0])).toMatchObject({ tier: "power", scheduledTier: "pro", scheduledAt: at("2026-01-01T00:00:00Z") });
    expect(stored.find((r) => r.userId === u[2])).toMatchObject({ status: "canceled", accessEndsAt: at("2026-01-01T00:00:00Z") });
  });

  it("agrees with the domain's inForce on every subscription, at instants around each transition", async () => {
    const { t } = await januaryProfile();
    const rows = await h.database.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId)));
    for (const now of ["2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00Z", "2026-01-08T12:00:00Z", "2026-01-31T23:59:59.999Z", "2026-02-01T00:00:00Z"].map(at)) {
      h.clock.set(now);
      const expected = Object.fromEntries(tierIds.map((tier) => [tier, Object.fromEntries(subscriptionStatuses.map((s) => [s, 0]))])) as Record<string, Record<string, number>>;
      for (const r of rows) {
        const current = inForce(toDomain(r), now);
        if (current) expected[current.tier]![current.status]! += 1;
      }
      const summary = await callerAs(h, t.admins.owner).dashboard.summary({ profileId: t.profileId });
      expect(Object.fromEntries(summary.subscriptions.byTier.map((x) => [x.tier, x.byStatus])), now.toISOString()).toEqual(expected);
    }
  });

  it("counts users active in the last day, 7 days and 30 days", async () => {
    const { t } = await januaryProfile();
    const summary = await callerAs(h, t.admins.owner).dashboard.summary({ profileId: t.profileId });
    // Last active: 0 on the 8th 10:00, 5 on the 7th 18:00, 3 on the 4th, 1 on the 3rd, 2 on 9 December 12:00
    // (exactly 30 days before now: outside the window, which is (now − 30 days, now]); 4 never.
    expect(summary.activeUsers).toEqual({ lastDay: 2, last7Days: 4, last30Days: 4 });
    h.clock.set(at("2026-01-08T18:00:00Z"));
    expect((await callerAs(h, t.admins.owner).dashboard.summary({ profileId: t.profileId })).activeUsers).toEqual({ lastDay: 1, last7Days: 4, last30Days: 4 });
  });

  it("sums this period's credits by the tier that sets the allowance and by client, and the overage spend against the budget", async () => {
    const { t, u } = await januaryProfile();
    // A ledger with no fee tier (never Active this month) counts under the subscription's tier in force: 4 is Pending Pro+.
    // (Pending users cannot use credits through the product; this row stands in for the fallback alone.)
    await h.database.db
      .insert(subscriptionMonths)
      .values({ accountId: t.accountId, profileId: t.profileId, period: "2026-01", userId: u[4], feeTier: null, activeAtStart: false, unbilledCc: 300 });
    const api = callerAs(h, t.admins.owner);
    const summary = await api.dashboard.summary({ profileId: t.profileId });
    expect(summary.credits).toEqual({
      usedCc: 100 + 102_013 + 50_000 + 300 + 30_000,
      byTier: [
        // 0's ledger opened at Pro on the 1st (the downgrade in force); 3 is Canceled but used Pro's allowance this month.
        { tier: "pro", users: 2, usedCc: 102_113, includedCc: 100_100, overageCc: 2013, unbilledCc: 0 },
        { tier: "pro_plus", users: 2, usedCc: 50_300, includedCc: 50_000, overageCc: 0, unbilledCc: 300 },
        { tier: "power", users: 1, usedCc: 30_000, includedCc: 30_000, overageCc: 0, unbilledCc: 0 },
      ],
      byClient: [
        { client: "cli", events: 1, usedCc: 102_013, includedCc: 100_000, overageCc: 2013, unbilledCc: 0 },
        { client: "ide", events: 3, usedCc: 80_100, includedCc: 80_100, overageCc: 0, unbilledCc: 0 },
      ],
    });
    // 20.13 credits × $0.04 = $0.8052 → $0.81, rounded half-up once.
    expect(summary.overage).toEqual({
      overageCc: 2013,
      overageCents: 81,
      budgetCents: null,
      budgetUsedCc: 2013,
      budgetUsedCents: 81,
      budgetLeftCc: null,
      budgetReached: false,
    });
    await setBudget(h, t, 100);
    // $1.00 = 10,000 hundredths of a cent; 8,052 used; 1,948 left ÷ 4 → 487 centicredits.
    expect((await api.dashboard.summary({ profileId: t.profileId })).overage).toMatchObject({ budgetCents: 100, budgetLeftCc: 487, budgetReached: false });
    await setBudget(h, t, 80);
    expect((await api.dashboard.summary({ profileId: t.profileId })).overage).toMatchObject({ budgetCents: 80, budgetLeftCc: 0, budgetReached: true });
  });

  it("a new period starts with no credits, whatever was used last month", async () => {
    const { t } = await januaryProfile();
    h.clock.set(at("2026-02-01T00:00:00Z"));
    const summary = await callerAs(h, t.admins.owner).dashboard.summary({ profileId: t.profileId });
    expect(summary.periodId).toBe("2026-02");
    expect(summary.credits.usedCc).toBe(0);
    expect(summary.credits.byClient).toEqual([]);
    expect(summary.overage).toMatchObject({ overageCc: 0, overageCents: 0, budgetUsedCc: 0 });
    // 3's access ended with January; the rest carry on.
    expect(summary.subscriptions.byStatus).toEqual({ pending: 1, active: 3, canceled: 0 });
  });

  it("an empty profile shows zeros, and reading writes nothing", async () => {
    const t = await makeTenant(h, { users: 1 });
    const before = await writeCounts(h, t.accountId);
    const summary = await callerAs(h, t.admins.viewer).dashboard.summary({ profileId: t.profileId });
    expect(summary.subscriptions.total).toBe(0);
    expect(summary.subscriptions.byTier.map((x) => x.total)).toEqual([0, 0, 0]);
    expect(summary.activeUsers).toEqual({ lastDay: 0, last7Days: 0, last30Days: 0 });
    expect(summary.credits).toEqual({
      usedCc: 0,
      byTier: tierIds.map((tier) => ({ tier, users: 0, usedCc: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 })),
      byClient: [],
    });
    expect(await writeCounts(h, t.accountId)).toEqual(before);
  });

  it("another account's profile is NOT_FOUND", async () => {
    const mine = await makeTenant(h, { users: 1 });
    const { t: theirs } = await januaryProfile();
    const e = await callerAs(h, mine.admins.owner)
      .dashboard.summary({ profileId: theirs.profileId })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(TRPCError);
    expect((e as TRPCError).code).toBe("NOT_FOUND");
  });
});

describe("dashboard.activeUsersByDay", () => {
  const none = { includedCc: 100, overageCc: 0, unbilledCc: 0 };

  /**
   * Seen on 1 March 2026 at 06:00: the 30-day window starts on 31 January, so it spans three periods.
   * 0: usage on 30 Jan 23:59 (before the window), 31 Jan 00:00 (its first instant), twice on 14 Feb, and on 1 Mar 05:00.
   * 1: usage on 14 Feb; signed in on 20 Feb (last activity with no event).
   * 2: subscribed, never active. 3: not subscribed.
   */
  async function marchProfile() {
    const t = await makeTenant(h, { users: 4 });
    const u = t.userIds as [string, string, string, string];
    await subscribeAt(h, t, [u[0], u[1], u[2]], "pro", at("2026-01-02T09:00:00Z"));
    await recordUsage(h, t, u[0], at("2026-01-30T23:59:59.999Z"), none);
    await recordUsage(h, t, u[0], at("2026-01-31T00:00:00Z"), none);
    await recordUsage(h, t, u[1], at("2026-02-14T09:00:00Z"), none, "cli");
    await recordUsage(h, t, u[0], at("2026-02-14T10:00:00Z"), none);
    await recordUsage(h, t, u[0], at("2026-02-14T11:00:00Z"), none, "cli");
    await activateAt(h, t, [u[1]], at("2026-02-20T08:00:00Z"));
    await recordUsage(h, t, u[0], at("2026-03-01T05:00:00Z"), none);
    h.clock.set(at("2026-03-01T06:00:00Z"));
    return t;
  }

  it("counts distinct users with usage or last activity on each UTC day of the window, across periods, zeros included", async () => {
    const t = await marchProfile();
    const series = await callerAs(h, t.admins.viewer).dashboard.activeUsersByDay({ profileId: t.profileId });
    expect(series.from).toBe("2026-01-31T00:00:00.000Z");
    expect(series.to).toBe("2026-03-01T06:00:00.000Z");
    expect(series.days).toHaveLength(30);
    expect(series.days[0]!.day).toBe("2026-01-31");
    expect(series.days.at(-1)!.day).toBe("2026-03-01");
    // Consecutive days, no gaps, over February's 28 days.
    expect(series.days.map((d) => d.day)).toEqual(Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 0, 31 + i)).toISOString().slice(0, 10)));
    const nonZero = Object.fromEntries(series.days.filter((d) => d.users > 0).map((d) => [d.day, d.users]));
    expect(nonZero).toEqual({ "2026-01-31": 1, "2026-02-14": 2, "2026-02-20": 1, "2026-03-01": 1 });
  });

  it("takes a shorter window, and counts nothing after now", async () => {
    const t = await marchProfile();
    const api = callerAs(h, t.admins.owner);
    const week = await api.dashboard.activeUsersByDay({ profileId: t.profileId, days: 7 });
    expect(week.days.map((d) => [d.day, d.users])).toEqual([
      ["2026-02-23", 0],
      ["2026-02-24", 0],
      ["2026-02-25", 0],
      ["2026-02-26", 0],
      ["2026-02-27", 0],
      ["2026-02-28", 0],
      ["2026-03-01", 1],
    ]);
    // At 04:59 on the 1st, the 05:00 event has not happened yet.
    h.clock.set(at("2026-03-01T04:59:00Z"));
    expect((await api.dashboard.activeUsersByDay({ profileId: t.profileId, days: 1 })).days).toEqual([{ day: "2026-03-01", users: 0 }]);
  });

  it("refuses a window of 0 or more than 90 days, and reading writes nothing", async () => {
    const t = await makeTenant(h, { users: 1 });
    const api = callerAs(h, t.admins.viewer);
    const before = await writeCounts(h, t.accountId);
    const empty = await api.dashboard.activeUsersByDay({ profileId: t.profileId });
    expect(empty.days.every((d) => d.users === 0)).toBe(true);
    expect(empty.days.at(-1)!.day).toBe("2026-01-08");
    for (const days of [0, 91, 1.5]) {
      const e = await api.dashboard.activeUsersByDay({ profileId: t.profileId, days }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e, String(days)).toBeInstanceOf(TRPCError);
      expect((e as TRPCError).code).toBe("BAD_REQUEST");
      expect((e as TRPCError).message).toMatch(/^days: /);
    }
    expect(await writeCounts(h, t.accountId)).toEqual(before);
  });
});
