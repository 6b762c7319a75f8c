import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { activateAt, callerAs, makeTenant, openHarness, recordUsage, subscribeAt, testNow, type Harness, type Tenant } from "./harness";

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 120 });
});
afterAll(() => h.close());

describe("subscriptions.list (the Users tab)", () => {
  it("pages through every user 50 at a time, in name order, with no repeats", async () => {
    const api = callerAs(h, t.admins.viewer);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof api.subscriptions.list>> = await api.subscriptions.list({ profileId: t.profileId, cursor });
      sizes.push(page.rows.length);
      seen.push(...page.rows.map((r) => r.displayName));
      cursor = page.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([50, 50, 20]);
    expect(new Set(seen).size).toBe(120);
    expect(seen).toEqual([...seen].sort());
  });

  it("searches by name or e-mail, case-insensitively, and treats % and _ literally", async () => {
    const api = callerAs(h, t.admins.viewer);
    const byName = await api.subscriptions.list({ profileId: t.profileId, search: "user 0011" });
    expect(byName.rows.map((r) => r.displayName)).toEqual(Array.from({ length: 10 }, (_, i) => `User 0011${i}`));
    const byEmail = await api.subscriptions.list({ profileId: t.profileId, search: "USER7-" });
    expect(byEmail.rows.map((r) => r.displayName)).toEqual(["User 00007"]);
    expect((await api.subscriptions.list({ profileId: t.profileId, search: "%" })).rows).toEqual([]);
    expect((await api.subscriptions.list({ profileId: t.profileId, search: "user_" })).rows).toEqual([]);
  });

  it("pages Z to A with order desc, the same people in reverse", async () => {
    const api = callerAs(h, t.admins.viewer);
    const names = async (order: "asc" | "desc") => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof api.subscriptions.list>> = await api.subscriptions.list({ profileId: t.profileId, cursor, order, limit: 35 });
        seen.push(...page.rows.map((r) => r.displayName));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    const asc = await names("asc");
    expect(asc).toHaveLength(120);
    expect(await names("desc")).toEqual([...asc].reverse());
  });

  it("filters to users with overage this month, and to users with a change scheduled for the 1st", async () => {
    const f = await makeTenant(h, { users: 5 });
    const owner = callerAs(h, f.admins.owner);
    const [over, down] = f.userIds as [string, string];
    await subscribeAt(h, f, f.userIds.slice(0, 3), "pro_plus", testNow);
    await activateAt(h, f, f.userIds.slice(0, 3), testNow);
    await recordUsage(h, f, over, testNow, { includedCc: 200_000, overageCc: 5_000, unbilledCc: 0 });
    await owner.subscriptions.changePlan({ profileId: f.profileId, userIds: [down], tier: "pro" });
    const ids = async (filter: { overage?: boolean; scheduled?: boolean; search?: string }) =>
      (await owner.subscriptions.list({ profileId: f.profileId, ...filter })).rows.map((r) => r.userId);
    expect(await ids({ overage: true })).toEqual([over]);
    expect(await ids({ scheduled: true })).toEqual([down]);
    expect(await ids({ overage: true, scheduled: true })).toEqual([]);
    // The same filters inside a search (the bounded walk joins the subscription only when a filter needs it).
    expect(await ids({ scheduled: true, search: "user" })).toEqual([down]);
  });

  it("a user's page: their row, this month's charge so far, their notices; another account's user is NOT_FOUND", async () => {
    const f = await makeTenant(h, { users: 2 });
    const [u] = f.userIds as [string];
    await subscribeAt(h, f, [u], "pro", testNow);
    await recordUsage(h, f, u, testNow, { includedCc: 100_000, overageCc: 2_500, unbilledCc: 0 });
    const api = callerAs(h, f.admins.viewer);
    const page = await api.subscriptions.user({ profileId: f.profileId, userId: u });
    expect(page.row).toMatchObject({ userId: u, tier: "pro", status: "active", usage: { usedCc: 102_500, overageCc: 2_500 } });
    expect(page.charge).toMatchObject({ feeTier: "pro", feeCents: 2_000, overageCents: 100, totalCents: 2_100 });
    expect(page.periodId).toBe("2026-01");
    expect(Array.isArray(page.notices)).toBe(true);
    const unsubscribed = await api.subscriptions.user({ profileId: f.profileId, userId: f.userIds[1]! });
    expect(unsubscribed).toMatchObject({ row: { status: null, usage: null }, charge: null });
    await expect(api.subscriptions.user({ profileId: f.profileId, userId: t.userIds[0]! })).rejects.toMatchObject({ code: "NOT_FOUND", message: /^userId: / });
  });

  it("refuses a cursor it did not give out", async () => {
    const api = callerAs(h, t.admins.viewer);
    await expect(api.subscriptions.list({ profileId: t.profileId, cursor: "garbage" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /^cursor: / });
  });

  it("shows only the signed-in account's users", async () => {
    const other = await makeTenant(h, { users: 3 });
    const mine = await callerAs(h, other.admins.viewer).subscriptions.list({ profileId: other.profileId });
    expect(mine.rows).toHaveLength(3);
    await expect(callerAs(h, other.admins.owner).subscriptions.list({ profileId: t.profileId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("at 100,000 users", () => {
  let big: Tenant;
  beforeAll(async () => {
    big = await makeTenant(h, { users: 0 });
    await h.database.db.execute(sql`
      insert into directory_users (account_id, user_name, email, display_name)
      select ${big.accountId}::uuid, 'u' || g || '@big.example', 'u' || g || '@big.example', 'Person ' || lpad(g::text, 6, '0')
      from generate_series(1, 100000) g`);
    await h.database.db.execute(sql`analyze directory_users`);
  }, 120_000);

  async function plan(query: ReturnType<typeof sql>): Promise<string> {
    const result = await h.database.db.execute(sql`explain ${query}`);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, string>[];
    return rows.map((r) => Object.values(r)[0]).join("\n");
  }

  it("a deep page is read through the name index, not by scanning or OFFSET", async () => {
    const api = callerAs(h, big.admins.viewer);
    let page = await api.subscriptions.list({ profileId: big.profileId, limit: 50 });
    for (let i = 0; i < 3; i++) page = await api.subscriptions.list({ profileId: big.profileId, cursor: page.nextCursor });
    expect(page.rows[0]?.displayName).toBe("Person 000151");

    const deep = await plan(sql`
      select u.id from directory_users u
      left join subscriptions s on s.account_id = u.account_id and s.profile_id = ${big.profileId}::uuid and s.user_id = u.id
      where u.account_id = ${big.accountId}::uuid and u.deleted_at is null and (u.display_name, u.id) > ('Person 090000', ${big.accountId}::uuid)
      order by u.display_name, u.id limit 51`);
    expect(deep).toMatch(/Index Scan using directory_users_name_idx/);
    expect(deep).not.toMatch(/Seq Scan on directory_users/);
    expect(deep).not.toMatch(/Sort/);
  });

  it("a search pages through exactly its matches, across the bounded name walk and the trigram index after it", async () => {
    const api = callerAs(h, big.admins.viewer);
    const expected = Array.from({ length: 100_000 }, (_, i) => i + 1)
      .filter((g) => `person ${String(g).padStart(6, "0")} u${g}@big.example`.includes("199"))
      .map((g) => `Person ${String(g).padStart(6, "0")}`);
    expect(expected.length).toBeGreaterThan(60); // more than a page, some inside the first 2,000 names and most after
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof api.subscriptions.list>> = await api.subscriptions.list({ profileId: big.profileId, search: "199", cursor });
      seen.push(...page.rows.map((r) => r.displayName));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  it("a search pages Z to A too, across the walk and the trigram index", async () => {
    const api = callerAs(h, big.admins.viewer);
    const collect = async (order: "asc" | "desc") => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof api.subscriptions.list>> = await api.subscriptions.list({ profileId: big.profileId, search: "199", cursor, order });
        seen.push(...page.rows.map((r) => r.displayName));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    expect(await collect("desc")).toEqual((await collect("asc")).reverse());
  });

  it("a search uses the trigram index", async () => {
    const searched = await plan(sql`
      select u.id from directory_users u
      where u.account_id = ${big.accountId}::uuid and u.deleted_at is null and u.search_text like '%099123%'
      order by u.display_name, u.id limit 51`);
    expect(searched).toMatch(/directory_users_search_idx/);
    const api = callerAs(h, big.admins.viewer);
    const hit = await api.subscriptions.list({ profileId: big.profileId, search: "099123" });
    expect(hit.rows.map((r) => r.displayName)).toEqual(["Person 099123"]);
  });
});
