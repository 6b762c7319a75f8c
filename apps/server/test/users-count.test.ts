import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, inArray } from "drizzle-orm";
import { directoryUsers, userListStatuses } from "@seatdesk/db";
import { activateAt, callerAs, makeTenant, openHarness, recordUsage, subscribeAt, testNow, type Harness, type Tenant } from "./harness";

type Filters = { search?: string; status?: (typeof userListStatuses)[number]; tier?: "pro" | "pro_plus" | "power"; overage?: boolean; scheduled?: boolean };

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await openHarness();
  // More users than the search's bounded name walk (500), so a search's pages also come from the trigram index.
  t = await makeTenant(h, { users: 620 });
  const ids = t.userIds;
  await subscribeAt(h, t, ids.slice(0, 10), "pro_plus", testNow);
  await subscribeAt(h, t, [...ids.slice(10, 40), ...ids.slice(500, 510)], "pro", testNow);
  await activateAt(h, t, [...ids.slice(0, 20), ...ids.slice(500, 505)], testNow);
  await recordUsage(h, t, ids[0]!, testNow, { includedCc: 200_000, overageCc: 5_000, unbilledCc: 0 });
  await recordUsage(h, t, ids[501]!, testNow, { includedCc: 100_000, overageCc: 1_000, unbilledCc: 0 });
  const owner = callerAs(h, t.admins.owner);
  await owner.subscriptions.changePlan({ profileId: t.profileId, userIds: [ids[1]!], tier: "pro" });
  await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [ids[3]!, ids[502]!] });
  // Removed from the directory (what a SCIM delete writes): neither listed nor counted.
  await h.database.db
    .update(directoryUsers)
    .set({ deletedAt: testNow })
    .where(and(eq(directoryUsers.accountId, t.accountId), inArray(directoryUsers.id, [ids[2]!, ids[600]!])));
}, 60_000);
afterAll(() => h.close());

/** Every user the list's pages walk through with these filters. */
async function listed(filters: Filters): Promise<string[]> {
  const api = callerAs(h, t.admins.viewer);
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof api.subscriptions.list>> = await api.subscriptions.list({ profileId: t.profileId, ...filters, cursor, limit: 200 });
    ids.push(...page.rows.map((r) => r.userId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

describe("subscriptions.count (the Users tab's total)", () => {
  const cases: [string, Filters, number][] = [
    ["everyone", {}, 618],
    ["a search past the name walk", { search: "user 005" }, 100],
    ["a short search", { search: "99" }, -1],
    ["a search with a filter", { search: "user 000", status: "active" }, -1],
    ["a tier", { tier: "pro" }, -1],
    ["overage", { overage: true }, 2],
    ["a scheduled change", { scheduled: true }, 1],
    ["no match", { search: "%" }, 0],
    // Nobody's access has ended yet this month.
    ...userListStatuses.map((status): [string, Filters, number] => [`status ${status}`, { status }, status === "ended" ? 0 : -1]),
  ];

  it.each(cases)("%s: the count is the number of rows the list pages through", async (_, filters, expected) => {
    const rows = await listed(filters);
    expect(new Set(rows).size).toBe(rows.length);
    const { count } = await callerAs(h, t.admins.viewer).subscriptions.count({ profileId: t.profileId, ...filters });
    expect(count).toBe(rows.length);
    if (expected >= 0) expect(count).toBe(expected);
    else expect(count).toBeGreaterThan(0);
  });

  it("the statuses add up to everyone, and an unknown filter value is refused naming the field", async () => {
    const api = callerAs(h, t.admins.viewer);
    const n = Object.fromEntries(
      await Promise.all(userListStatuses.map(async (status) => [status, (await api.subscriptions.count({ profileId: t.profileId, status })).count] as const)),
    ) as Record<(typeof userListStatuses)[number], number>;
    expect(n.active + n.pending + n.canceled).toBe(n.subscribed);
    expect(n.subscribed + n.unsubscribed).toBe(618);
    expect(n.active).toBeGreaterThan(0);
    expect(n.pending).toBeGreaterThan(0);
    expect(n.canceled).toBeGreaterThan(0);
    await expect(api.subscriptions.count({ profileId: t.profileId, tier: "gold" as "pro" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /tier/ });
  });

  it("counts only the signed-in account's users; another account's profile is NOT_FOUND", async () => {
    const other = await makeTenant(h, { users: 3 });
    expect(await callerAs(h, other.admins.viewer).subscriptions.count({ profileId: other.profileId })).toEqual({ count: 3 });
    await expect(callerAs(h, other.admins.owner).subscriptions.count({ profileId: t.profileId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
