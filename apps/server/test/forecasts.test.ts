import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { seatForecasts } from "@seatdesk/db";
import { forecastJob } from "../src/services/forecasts/job";
import { callerAs, makeTenant, openHarness, rejection, testNow, type Harness, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

/**
 * Usage recorded through the usage API over Nov 2025 – Jan 2026 (the clock moved to each event), then the
 * daily job at testNow (Jan 8 12:00 UTC, 23.5 days left) and the API's answers against figures worked out by
 * hand. Overage is on for the profile; a $10 budget from January.
 *  u0 Power since Nov: 50 credits in Nov, 80 in Dec, nothing since → downgrade to Pro saves $180.
 *  u1 Pro since Nov: 1,600 credits in Dec (600 overage, $24) → upgrade to Pro+ saves $4.
 *  u2 Pro: 100 credits a day Jan 1–7 (window: 700 → 10,000 cc/day) and 50 today (not in the window):
 *     25,000 cc left → runs out Jan 11 00:00; then overage until the budget runs out.
 *  u3 Pro+: 70 credits on Jan 3 → 1,000 cc/day, 193,000 left: not this month.
 *  u4 Pro, a 50-credit cap: 1,040 credits on Jan 2 (1,000 + 40 overage) → 104,000/7 = 14,857 cc/day;
 *     the cap's 1,000 cc left are gone 5,815,441 ms from now (Jan 8 13:36:55.441) → today, by the cap.
 *  u5 Pro, Pending: a seat with no usage. u6 never subscribed.
 * Budget: $10 − u4's 4,000 cc ($1.60) → 21,000 cc left. u4 adds 14,857 × 5,815,441 ms (1,000.00008 cc·day),
 * u2 adds 10,000 a day from Jan 11 00:00: the rest (20,999.99992 cc) takes 172,800,000 ms → Jan 13 00:00.
 */
let h: Harness;
let t: Tenant;
let u: string[];
const d = (month: number, day: number, hour = 10) => new Date(Date.UTC(month >= 10 ? 2025 : 2026, month >= 10 ? month : month, day, hour));

beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 8 });
  u = t.userIds;
  const owner = callerAs(h, t.admins.owner);
  const { key } = await makeKey(h, t);
  const api = callerWithKey(h, key);
  let n = 0;
  const use = async (userId: string, when: Date, credits: number) => {
    h.clock.set(when);
    await api.usage.record({ userId, credits, client: "ide", occurredAt: when.toISOString(), idempotencyKey: `k-${n++}` });
  };
  h.clock.set(d(10, 1, 9));
  await owner.settings.update({ profileId: t.profileId, overagesEnabled: true });
  await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u[0]!], tier: "power" });
  await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u[1]!], tier: "pro" });
  await use(u[0]!, d(10, 2), 50);
  await use(u[1]!, d(10, 2), 10);
  await use(u[0]!, d(11, 3), 80);
  await use(u[1]!, d(11, 4), 1_600);
  h.clock.set(d(11, 20));
  await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u[2]!, u[4]!, u[5]!], tier: "pro" });
  await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u[3]!], tier: "pro_plus" });
  await owner.settings.setUserOverride({ profileId: t.profileId, userId: u[4]!, cap: 50 });
  h.clock.set(d(0, 1, 0));
  await owner.settings.update({ profileId: t.profileId, budgetCents: 1_000 });
  for (let day = 1; day <= 7; day++) await use(u[2]!, d(0, day), 100);
  await use(u[4]!, d(0, 2), 1_040);
  await use(u[3]!, d(0, 3), 70);
  await use(u[2]!, d(0, 8, 10), 50);
  h.clock.set(testNow);
}, 120_000);
afterAll(() => h.close());

const viewer = () => callerAs(h, t.admins.viewer);

describe("the daily forecast job", () => {
  it("computes every subscribed seat, once per day per profile", async () => {
    expect(await forecastJob.run(h.database.db, testNow, { catalog: h.deps.catalog, accountId: t.accountId })).toEqual({ profiles: 1, seats: 6, rightSizing: 2, skipped: 0 });
    // The same day again: nothing to do (idempotent).
    expect(await forecastJob.run(h.database.db, new Date(testNow.getTime() + 3_600_000), { catalog: h.deps.catalog, accountId: t.accountId })).toEqual({ profiles: 0, seats: 0, rightSizing: 0, skipped: 0 });
  });

  it("writes each seat's row as worked out by hand", async () => {
    const rows = await h.database.db.select().from(seatForecasts).where(and(eq(seatForecasts.accountId, t.accountId), eq(seatForecasts.profileId, t.profileId)));
    const byUser = new Map(rows.map((r) => [r.userId, { burn: r.burnCcPerDay, allowance: r.allowanceRunsOutOn, stops: r.accessStopsOn, reason: r.stopReason, period: r.period }]));
    const none = { burn: 0, allowance: null, stops: null, reason: null, period: "2026-01" };
    expect(Object.fromEntries(u.slice(0, 7).map((id, i) => [`u${i}`, byUser.get(id) ?? "no row"]))).toEqual({
      u0: none,
      u1: none,
      u2: { burn: 10_000, allowance: "2026-01-11", stops: "2026-01-13", reason: "budget", period: "2026-01" },
      u3: { burn: 1_000, allowance: null, stops: null, reason: null, period: "2026-01" },
      u4: { burn: 14_857, allowance: "2026-01-08", stops: "2026-01-08", reason: "cap", period: "2026-01" },
      u5: none,
      u6: "no row",
    });
  });

  it("forecasts.profile: the budget's day, the projected overage, the counts", async () => {
    const p = await viewer().forecasts.profile({ profileId: t.profileId });
    expect(p).toEqual({
      periodId: "2026-01",
      forecast: {
        period: "2026-01",
        computedAt: testNow.toISOString(),
        burnCcPerDay: 25_857,
        // 4,000 accepted + the 21,000 the budget still admits
        projectedOverageCc: 25_000,
        projectedOverageCents: 1_000,
        budgetRunsOutAt: new Date(Date.UTC(2026, 0, 13)).toISOString(),
        budgetRunsOutOn: "2026-01-13",
        seats: 6,
      },
      usersAllowanceRunsOut: 2,
      usersAccessStops: 2,
      stopsByReason: { allowance: 0, cap: 1, budget: 1 },
    });
  });

  it("forecasts.user: live, the same days as the job", async () => {
    const api = viewer();
    expect(await api.forecasts.user({ profileId: t.profileId, userId: u[2]! })).toEqual({
      userId: u[2],
      asOf: testNow.toISOString(),
      forecast: {
        asOf: testNow.toISOString(),
        tier: "pro",
        burnCcPerDay: 10_000,
        allowanceCc: 100_000,
        allowanceLeftCc: 25_000,
        overageCc: 0,
        overageAllowed: true,
        capRoomCc: null,
        allowanceRunsOutOn: "2026-01-11",
        capRunsOutOn: null,
        accessStopsOn: "2026-01-13",
        stopReason: "budget",
        budgetForecastAsOf: testNow.toISOString(),
      },
    });
    const u4 = await api.forecasts.user({ profileId: t.profileId, userId: u[4]! });
    expect(u4.forecast).toMatchObject({ burnCcPerDay: 14_857, allowanceLeftCc: 0, overageCc: 4_000, capRoomCc: 1_000, allowanceRunsOutOn: "2026-01-08", capRunsOutOn: "2026-01-08", accessStopsOn: "2026-01-08", stopReason: "cap" });
    expect((await api.forecasts.user({ profileId: t.profileId, userId: u[6]! })).forecast).toBeNull();
    const e = await rejection(api.forecasts.user({ profileId: t.profileId, userId: "00000000-0000-4000-8000-000000000000" }));
    expect([e.code, e.message]).toEqual(["NOT_FOUND", "userId: no such user in this account"]);
    const bad = await rejection(api.forecasts.user({ profileId: t.profileId, userId: "nope" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("userId");
  });

  it("forecasts.rightSizing: both lists with the saving per month and the total, paged", async () => {
    const api = viewer();
    const all = await api.forecasts.rightSizing({ profileId: t.profileId });
    expect(all.rows.map((r) => [r.kind, r.userId, r.fromTier, r.toTier, r.savingCentsPerMonth, r.basisPeriod])).toEqual([
      ["upgrade", u[1], "pro", "pro_plus", 400, "2025-12"],
      ["downgrade", u[0], "power", "pro", 18_000, "2025-12"],
    ]);
    expect([all.upgrade, all.downgrade, all.totalSavingCentsPerMonth, all.nextCursor, all.asOf]).toEqual([
      { count: 1, savingCentsPerMonth: 400 },
      { count: 1, savingCentsPerMonth: 18_000 },
      18_400,
      null,
      testNow.toISOString(),
    ]);
    const first = await api.forecasts.rightSizing({ profileId: t.profileId, limit: 1 });
    expect(first.rows.map((r) => r.userId)).toEqual([u[1]]);
    const second = await api.forecasts.rightSizing({ profileId: t.profileId, limit: 1, cursor: first.nextCursor });
    expect([second.rows.map((r) => r.userId), second.nextCursor]).toEqual([[u[0]], null]);
    const bad = await rejection(api.forecasts.rightSizing({ profileId: t.profileId, cursor: "garbage" }));
    expect([bad.code, bad.message]).toEqual(["BAD_REQUEST", "cursor: not a cursor this list gave out"]);
  });

  it("a plan change hides the advice at once; the next day's run drops seats no longer subscribed", async () => {
    const owner = callerAs(h, t.admins.owner);
    await owner.subscriptions.changePlan({ profileId: t.profileId, userIds: [u[0]!], tier: "pro" }); // scheduled for Feb 1
    const after = await viewer().forecasts.rightSizing({ profileId: t.profileId });
    expect([after.rows.map((r) => r.userId), after.totalSavingCentsPerMonth]).toEqual([[u[1]], 400]);
    await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [u[5]!] }); // Pending: removed
    const tomorrow = new Date(Date.UTC(2026, 0, 9, 1));
    expect(await forecastJob.run(h.database.db, tomorrow, { catalog: h.deps.catalog, accountId: t.accountId })).toEqual({ profiles: 1, seats: 5, rightSizing: 1, skipped: 0 });
    // u0's downgrade is scheduled now: the job no longer advises it either, and its row is gone.
    expect((await viewer().forecasts.rightSizing({ profileId: t.profileId })).rows.map((r) => r.userId)).toEqual([u[1]]);
    const rows = await h.database.db.select({ userId: seatForecasts.userId }).from(seatForecasts).where(and(eq(seatForecasts.accountId, t.accountId), eq(seatForecasts.profileId, t.profileId)));
    expect(rows.map((r) => r.userId).sort()).toEqual([u[0], u[1], u[2], u[3], u[4]].sort());
  });
});

describe("two workers at once", () => {
  it("compute a profile's day once: the other skips it (FOR UPDATE SKIP LOCKED, or already done)", async () => {
    const day = new Date(Date.UTC(2026, 0, 10, 2));
    const run = () => forecastJob.run(h.database.db, day, { catalog: h.deps.catalog, accountId: t.accountId });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.profiles! + b.profiles!).toBe(1);
    expect(a.seats! + b.seats!).toBe(5);
    const p = await viewer().forecasts.profile({ profileId: t.profileId });
    expect(p.forecast?.computedAt).toBe(day.toISOString());
  });
});
