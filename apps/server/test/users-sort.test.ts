import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { defaultCatalog, matchesLastActive } from "@seatdesk/domain";
import { seatForecasts } from "@seatdesk/db";
import { forecastJob } from "../src/services/forecasts/job";
import { callerAs, makeTenant, openHarness, subscribeAt, testNow, type Harness, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

/**
 * The Users tab's sorts (name, last active, credits used this month; both directions) and activity filters
 * (issue 15, "The console" and "Idle seats"), through the API: every user set up through the console and the
 * usage API, pages small enough that ties straddle page boundaries.
 */
let h: Harness;
let t: Tenant;
/** What each user did, as set up: last active (null: never) and credits used this month in centicredits (null: none recorded). */
const expected = new Map<string, { lastActiveAt: Date | null; usedCc: number | null }>();
const jan = (d: number, hour: number) => new Date(Date.UTC(2026, 0, d, hour));
const now = testNow; // 2026-01-08 12:00 UTC

type ListInput = Parameters<ReturnType<typeof callerAs>["subscriptions"]["list"]>[0];
type Row = Awaited<ReturnType<ReturnType<typeof callerAs>["subscriptions"]["list"]>>["rows"][number];

beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 30 });
  const ids = t.userIds;
  await subscribeAt(h, t, ids.slice(0, 20), "pro", jan(1, 0));
  const { key } = await makeKey(h, t);
  const usage = callerWithKey(h, key);
  let n = 0;
  /** The users use the tool at `at` (the clock there too), `credits` each. */
  const use = async (users: string[], at: Date, credits: number) => {
    h.clock.set(at);
    for (const userId of users) {
      await usage.usage.record({ userId, credits, client: "ide", occurredAt: at.toISOString(), idempotencyKey: `k${n++}` });
      const before = expected.get(userId);
      expected.set(userId, { lastActiveAt: at, usedCc: (before?.usedCc ?? 0) + Math.round(credits * 100) });
    }
  };
  // Ties on purpose: 0-3 share a last active and credits; 4-7 share credits with them and a later last active.
  await use(ids.slice(0, 4), jan(1, 10), 5);
  await use(ids.slice(4, 8), jan(5, 12), 5);
  await use(ids.slice(8, 10), jan(5, 12), 12.5);
  await use(ids.slice(10, 13), jan(8, 11), 1);
  // 13-19 subscribed and never active (Pending); 20-29 not subscribed.
  for (const id of ids) if (!expected.has(id)) expected.set(id, { lastActiveAt: null, usedCc: null });
  h.clock.set(now);
}, 60_000);
afterAll(() => h.close());

/** Every row the list's pages give with this input, `limit` at a time. */
async function walk(input: Omit<ListInput, "profileId" | "cursor">, limit = 3): Promise<Row[]> {
  const api = callerAs(h, t.admins.viewer);
  const rows: Row[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: Awaited<ReturnType<typeof api.subscriptions.list>> = await api.subscriptions.list({ profileId: t.profileId, ...input, cursor, limit });
    rows.push(...page.rows);
    cursor = page.nextCursor;
    if (!cursor) return rows;
  }
  throw new Error("the list did not end");
}

/** The expected order of a keyed sort, computed from what was set up: keyed users by (key, id), then those without a key by id. */
function expectedOrder(key: (id: string) => number | null, order: "asc" | "desc", ids = t.userIds): string[] {
  const keyed = ids.filter((id) => key(id) !== null).sort((a, b) => key(a)! - key(b)! || (a < b ? -1 : a > b ? 1 : 0));
  const none = ids.filter((id) => key(id) === null).sort();
  return order === "asc" ? [...keyed, ...none] : [...keyed.reverse(), ...none.reverse()];
}
const lastActiveKey = (id: string) => expected.get(id)!.lastActiveAt?.getTime() ?? null;
const usedKey = (id: string) => expected.get(id)!.usedCc;

describe("subscriptions.list sorts, keyset-paged across ties", () => {
  it("the set-up is what the rows say: last active and credits used come from the usage API", async () => {
    const rows = await walk({}, 50);
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      const e = expected.get(row.userId)!;
      expect(row.lastActiveAt).toBe(e.lastActiveAt?.toISOString() ?? null);
      expect(row.usage?.usedCc ?? null).toBe(e.usedCc ?? (row.status ? 0 : null));
    }
  });

  it.each(["asc", "desc"] as const)("by last active, %s: keyed users by (last active, id), never-active users last, by id", async (order) => {
    const rows = await walk({ sort: "lastActive", order });
    expect(rows.map((r) => r.userId)).toEqual(expectedOrder(lastActiveKey, order));
  });

  it.each(["asc", "desc"] as const)("by credits used this month, %s: ties broken by user id, users with none recorded last", async (order) => {
    const rows = await walk({ sort: "creditsUsed", order });
    expect(rows.map((r) => r.userId)).toEqual(expectedOrder(usedKey, order));
  });

  it.each(["asc", "desc"] as const)("by name, %s, unchanged: every user once", async (order) => {
    const names = (await walk({ sort: "name", order })).map((r) => r.displayName);
    expect(names).toEqual([...names].sort((a, b) => (order === "asc" ? a.localeCompare(b) : b.localeCompare(a))));
    expect(new Set(names).size).toBe(30);
  });

  it.each([1, 2, 4, 7])("every page size gives the same order (limit %i)", async (limit) => {
    expect((await walk({ sort: "creditsUsed", order: "desc" }, limit)).map((r) => r.userId)).toEqual(expectedOrder(usedKey, "desc"));
    expect((await walk({ sort: "lastActive", order: "asc" }, limit)).map((r) => r.userId)).toEqual(expectedOrder(lastActiveKey, "asc"));
  });

  it("a sort combines with a search and a filter", async () => {
    const rows = await walk({ sort: "creditsUsed", order: "desc", search: "user 0000", status: "active" });
    const ids = t.userIds.slice(0, 10); // "User 00000" to "User 00009": the ones active
    expect(rows.map((r) => r.userId)).toEqual(expectedOrder(usedKey, "desc", ids));
  });

  it("a cursor is refused for another sort or order, naming the field", async () => {
    const api = callerAs(h, t.admins.viewer);
    const first = await api.subscriptions.list({ profileId: t.profileId, sort: "lastActive", limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    await expect(api.subscriptions.list({ profileId: t.profileId, sort: "creditsUsed", cursor: first.nextCursor })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /cursor/ });
    await expect(api.subscriptions.list({ profileId: t.profileId, sort: "lastActive", order: "desc", cursor: first.nextCursor })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /cursor/ });
    const byName = await api.subscriptions.list({ profileId: t.profileId, limit: 2 });
    await expect(api.subscriptions.list({ profileId: t.profileId, sort: "lastActive", cursor: byName.nextCursor })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(api.subscriptions.list({ profileId: t.profileId, sort: "oldest" as "name" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /sort/ });
  });
});

describe("activity filters: idle, active within, never active (list and count agree, and agree with the domain)", () => {
  const cases: [string, ListInput["lastActive"], number][] = [
    ["idle 7 days", { kind: "idle", days: 7 }, 4],
    // Last active exactly 3 days ago (Jan 5 12:00) is idle 3 days.
    ["idle 3 days: the cutoff itself is idle", { kind: "idle", days: 3 }, 10],
    ["active within 3 days", { kind: "within", days: 3 }, 3],
    ["active within 7 days", { kind: "within", days: 7 }, 9],
    ["never active", { kind: "never" }, 7],
    ["idle 30 days", { kind: "idle", days: 30 }, 0],
  ];
  it.each(cases)("%s", async (_, lastActive, n) => {
    const inDomain = t.userIds.slice(0, 20).filter((id) => matchesLastActive(expected.get(id)!.lastActiveAt, lastActive!, now));
    expect(inDomain).toHaveLength(n);
    for (const sort of ["name", "lastActive", "creditsUsed"] as const) {
      for (const order of ["asc", "desc"] as const) {
        const rows = await walk({ lastActive, sort, order }, 2);
        expect(rows.map((r) => r.userId).sort()).toEqual([...inDomain].sort());
      }
    }
    const { count } = await callerAs(h, t.admins.viewer).subscriptions.count({ profileId: t.profileId, lastActive });
    expect(count).toBe(n);
  });

  it("only current seats: a Pending seat whose plan is deactivated is removed and no longer counts as never active", async () => {
    const f = await makeTenant(h, { users: 2 });
    await subscribeAt(h, f, f.userIds, "pro", jan(1, 0));
    await callerAs(h, f.admins.owner).subscriptions.unsubscribe({ profileId: f.profileId, userIds: [f.userIds[0]!] });
    h.clock.set(now);
    const api = callerAs(h, f.admins.viewer);
    // Pending ones are removed when canceled; the other one is still never active.
    expect((await api.subscriptions.list({ profileId: f.profileId, lastActive: { kind: "never" } })).rows.map((r) => r.userId)).toEqual([f.userIds[1]]);
    expect(await api.subscriptions.count({ profileId: f.profileId, lastActive: { kind: "never" } })).toEqual({ count: 1 });
  });

  it("bad days are refused naming the field", async () => {
    const api = callerAs(h, t.admins.viewer);
    await expect(api.subscriptions.count({ profileId: t.profileId, lastActive: { kind: "idle", days: 0 } })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /days/ });
    await expect(api.subscriptions.list({ profileId: t.profileId, lastActive: { kind: "within" } as { kind: "within"; days: number } })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /days/ });
    await expect(api.subscriptions.list({ profileId: t.profileId, lastActive: { kind: "lazy" } as unknown as { kind: "never" } })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /lastActive|kind/ });
  });
});

describe("the forecast column and the runs-out-this-month filter (issue 15, Forecasts)", () => {
  it("shows what the daily forecast job wrote, and filters to whose allowance runs out this month", async () => {
    const f = await makeTenant(h, { users: 4 });
    const [heavy, light, idle, unsubscribed] = f.userIds as [string, string, string, string];
    await subscribeAt(h, f, [heavy, light, idle], "pro", jan(1, 0));
    const { key } = await makeKey(h, f);
    const usage = callerWithKey(h, key);
    // Seven complete days of use before now: 100 credits a day uses Pro's 1,000 by mid-month; 1 a day never does.
    for (let d = 1; d <= 7; d++) {
      h.clock.set(jan(d, 12));
      await usage.usage.record({ userId: heavy, credits: 100, client: "ide", occurredAt: jan(d, 12).toISOString(), idempotencyKey: `h${d}` });
      await usage.usage.record({ userId: light, credits: 1, client: "cli", occurredAt: jan(d, 12).toISOString(), idempotencyKey: `l${d}` });
    }
    h.clock.set(now);
    const api = callerAs(h, f.admins.viewer);
    // Before the job has run there is no forecast: the column is empty and the filter finds nobody.
    expect((await api.subscriptions.list({ profileId: f.profileId })).rows.map((r) => r.forecast)).toEqual([null, null, null, null]);
    expect(await api.subscriptions.count({ profileId: f.profileId, runsOutThisMonth: true })).toEqual({ count: 0 });

    const result = await forecastJob.run(h.database.db, now, { catalog: defaultCatalog, accountId: f.accountId });
    expect(result.seats).toBe(3);
    const written = await h.database.db
      .select()
      .from(seatForecasts)
      .where(and(eq(seatForecasts.accountId, f.accountId), eq(seatForecasts.profileId, f.profileId)));
    const byUser = new Map(written.map((w) => [w.userId, w]));
    const rows = new Map((await api.subscriptions.list({ profileId: f.profileId })).rows.map((r) => [r.userId, r]));
    for (const id of [heavy, light, idle]) {
      const w = byUser.get(id)!;
      expect(rows.get(id)!.forecast).toEqual({ burnCcPerDay: w.burnCcPerDay, allowanceRunsOutOn: w.allowanceRunsOutOn, accessStopsOn: w.accessStopsOn, stopReason: w.stopReason });
    }
    expect(rows.get(unsubscribed)!.forecast).toBeNull();
    // The heavy user runs out in January (overage is off: that day blocks them); the light one not this month.
    const heavyForecast = rows.get(heavy)!.forecast!;
    expect(heavyForecast.burnCcPerDay).toBe(10_000);
    expect(heavyForecast.allowanceRunsOutOn! >= "2026-01-08" && heavyForecast.allowanceRunsOutOn! < "2026-02-01").toBe(true);
    expect(heavyForecast.stopReason).toBe("allowance");
    expect(rows.get(light)!.forecast!.allowanceRunsOutOn).toBeNull();

    for (const sort of ["name", "lastActive", "creditsUsed"] as const) {
      expect((await api.subscriptions.list({ profileId: f.profileId, runsOutThisMonth: true, sort })).rows.map((r) => r.userId)).toEqual([heavy]);
    }
    expect(await api.subscriptions.count({ profileId: f.profileId, runsOutThisMonth: true })).toEqual({ count: 1 });
    expect(await api.subscriptions.count({ profileId: f.profileId, runsOutThisMonth: true, lastActive: { kind: "within", days: 7 } })).toEqual({ count: 1 });

    // Next month the January forecast is not shown or matched until the job writes February's.
    h.clock.set(new Date(Date.UTC(2026, 1, 2, 12)));
    expect((await api.subscriptions.list({ profileId: f.profileId })).rows.map((r) => r.forecast)).toEqual([null, null, null, null]);
    expect(await api.subscriptions.count({ profileId: f.profileId, runsOutThisMonth: true })).toEqual({ count: 0 });
    h.clock.set(now);
  });
});
