import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { directoryUsers, directoryVersions } from "@seatdesk/db";
import { DirectorySearch } from "../src/services/directory-search";
import { callerAs, makeTenant, openHarness, subscribeAt, testNow, type Harness, type Tenant } from "./harness";

// The Users tab's search through the in-memory index must answer exactly what the SQL search answers,
// and never answer from a directory that has changed since the index was built.

let h: Harness;
let t: Tenant;
let index: DirectorySearch;

const firsts = ["Zoë", "Zoe", "Anna", "Ana", "Łukasz", "Jon", "Johanna", "Sø", "María", "Mei", "Chen", "O'Brien", "50%", "a_b"];
const lasts = ["Johnson", "Anderson", "Chen", "Ångström", "Nguyen", "Kowalski", "Müller", "Li", "Ortiz", "Sato"];

/** A deterministic mix of names: duplicates (tie-broken by id), accents, LIKE wildcards, shared fragments. */
function people(n: number) {
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  return Array.from({ length: n }, (_, i) => {
    const name = `${firsts[Math.floor(next() * firsts.length)]} ${lasts[Math.floor(next() * lasts.length)]}`;
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, ".")}.${i}@corp${i % 3}.example`;
    return { displayName: name, email, userName: email };
  });
}

const fragments = ["a", "ö", "zo", "zoe", "zoë", "ANNA", "ann", "son", "hnson", "chen", "corp1", "o'b", "50%", "a_b", "%", "_", "łuk", "ngstr", "xyz", "n j", "q", ".1", "example", "i li"];

beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 0 });
  await h.database.db.insert(directoryUsers).values(people(260).map((p) => ({ ...p, accountId: t.accountId })));
  // Some of them subscribed, so rows carry subscriptions and ledgers as well.
  const ids = await h.database.db.select({ id: directoryUsers.id }).from(directoryUsers).where(eq(directoryUsers.accountId, t.accountId));
  await subscribeAt(h, t, ids.slice(0, 40).map((r) => r.id), "pro", testNow);
  index = new DirectorySearch(h.database.db, { rebuildIntervalMs: 0 });
  await index.build(t.accountId);
});
afterAll(() => h.close());

const withIndex = () => callerAs({ ...h, deps: { ...h.deps, directorySearch: index } }, t.admins.viewer);
const withoutIndex = () => callerAs(h, t.admins.viewer);

type Api = ReturnType<typeof withoutIndex>;
type Page = Awaited<ReturnType<Api["subscriptions"]["list"]>>;

/** Every page of a search, following nextCursor. */
async function allPages(api: Api, search: string, order: "asc" | "desc", limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await api.subscriptions.list({ profileId: t.profileId, search, order, limit, cursor });
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 100);
  return pages;
}

describe("the Users tab's search through the in-memory index", () => {
  it("answers every search, both orders, page after page, exactly as the SQL search does", async () => {
    const before = index.counts.fromIndex;
    let matched = 0;
    for (const search of fragments) {
      for (const order of ["asc", "desc"] as const) {
        const expected = await allPages(withoutIndex(), search, order, 7);
        const actual = await allPages(withIndex(), search, order, 7);
        expect(actual, `${search} ${order}`).toEqual(expected);
        matched += expected.reduce((n, p) => n + p.rows.length, 0);
      }
    }
    // The comparison means something: searches matched people, and the index answered them.
    expect(matched).toBeGreaterThan(500);
    expect(index.counts.fromIndex - before).toBeGreaterThan(fragments.length * 2);
  });

  it("finds a user added a moment ago, and stops finding one deleted, before and after the index is rebuilt", async () => {
    const owner = callerAs({ ...h, deps: { ...h.deps, directorySearch: index } }, t.admins.owner);
    const search = (s: string) => withIndex().subscriptions.list({ profileId: t.profileId, search: s });
    const added = await owner.directory.createUser({ displayName: "Quintessa Quarrington", email: "qq@corp.example" });
    const fromSql = index.counts.fromSql;
    expect((await search("quarr")).rows.map((r) => r.userId)).toEqual([added.id]);
    // The index was built before the user existed: the version told, and SQL answered.
    expect(index.counts.fromSql).toBe(fromSql + 1);
    await index.build(t.accountId);
    const fromIndex = index.counts.fromIndex;
    expect((await search("quarr")).rows.map((r) => r.userId)).toEqual([added.id]);
    expect(index.counts.fromIndex).toBe(fromIndex + 1);

    await h.database.db.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.id, added.id));
    expect((await search("quarr")).rows).toEqual([]);
    await index.build(t.accountId);
    expect((await search("quarr")).rows).toEqual([]);
  });

  it("a renamed user is found under the new name, in the new place in name order", async () => {
    const [someone] = (await withoutIndex().subscriptions.list({ profileId: t.profileId, search: "chen", limit: 1 })).rows;
    await index.build(t.accountId);
    await h.database.db.update(directoryUsers).set({ displayName: "Xaviera Renamed" }).where(eq(directoryUsers.id, someone!.userId));
    expect((await withIndex().subscriptions.list({ profileId: t.profileId, search: "xavi" })).rows.map((r) => r.userId)).toEqual([someone!.userId]);
    // Still a "chen" by e-mail, now sorted under X: the stale index must not place them where they were
    // (the first page is answered in SQL; the rebuild it starts answers later pages).
    expect(await allPages(withIndex(), "chen", "asc", 9)).toEqual(await allPages(withoutIndex(), "chen", "asc", 9));
  });

  it("a cursor the index does not know (a user deleted since) is answered in SQL, not refused", async () => {
    await index.build(t.accountId);
    const first = await withIndex().subscriptions.list({ profileId: t.profileId, search: "son", limit: 5 });
    const last = first.rows.at(-1)!;
    await h.database.db.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.id, last.userId));
    await index.build(t.accountId);
    const next = await withIndex().subscriptions.list({ profileId: t.profileId, search: "son", limit: 5, cursor: first.nextCursor });
    const expected = await withoutIndex().subscriptions.list({ profileId: t.profileId, search: "son", limit: 5, cursor: first.nextCursor });
    expect(next).toEqual(expected);
    expect(next.rows.length).toBe(5);
  });

  it("never answers one account's search with another's users", async () => {
    const other = await makeTenant(h, { users: 30 });
    await index.build(other.accountId);
    const theirs = await callerAs({ ...h, deps: { ...h.deps, directorySearch: index } }, other.admins.viewer).subscriptions.list({ profileId: other.profileId, search: "user", limit: 200 });
    expect(theirs.rows).toHaveLength(30);
    const ours = await withIndex().subscriptions.list({ profileId: t.profileId, search: "user", limit: 200 });
    const theirIds = new Set(other.userIds);
    expect(ours.rows.some((r) => theirIds.has(r.userId))).toBe(false);
  });

  it("once a page has seen a newer directory, the index answers nothing until it is rebuilt", async () => {
    const slow = new DirectorySearch(h.database.db, { rebuildIntervalMs: 60_000 });
    const f = await makeTenant(h, { users: 5 });
    await slow.build(f.accountId);
    expect(slow.find(f.accountId, "user", null, false, 10)?.ids).toHaveLength(5);
    await h.database.db.insert(directoryUsers).values({ accountId: f.accountId, userName: "late@corp.example", email: "late@corp.example", displayName: "User Late" });
    const page = await callerAs({ ...h, deps: { ...h.deps, directorySearch: slow } }, f.admins.viewer).subscriptions.list({ profileId: f.profileId, search: "user" });
    expect(page.rows.map((r) => r.displayName)).toContain("User Late");
    // Stale, and not rebuilt within the interval: searches go to SQL without asking it.
    expect(slow.find(f.accountId, "user", null, false, 10)).toBeNull();
    await slow.build(f.accountId);
    expect(slow.find(f.accountId, "user", null, false, 10)?.ids).toHaveLength(6);
  });

  it("drops the least recently searched account when it holds more users than allowed", async () => {
    const small = new DirectorySearch(h.database.db, { maxUsers: 300 });
    const a = await makeTenant(h, { users: 200 });
    const b = await makeTenant(h, { users: 200 });
    await small.build(a.accountId);
    expect(small.find(a.accountId, "user", null, false, 3)?.ids).toHaveLength(3);
    await small.build(b.accountId);
    expect(small.find(a.accountId, "user", null, false, 3)).toBeNull();
    expect(small.find(b.accountId, "user", null, false, 3)?.ids).toHaveLength(3);
  });
});

describe("directory_versions", () => {
  const version = async (accountId: string) =>
    (await h.database.db.select({ v: directoryVersions.version }).from(directoryVersions).where(eq(directoryVersions.accountId, accountId)))[0]?.v ?? 0;

  it("steps once per committed transaction that changes names, e-mails or deletions; not on a rollback or other columns", async () => {
    const f = await makeTenant(h, { users: 3 });
    const start = await version(f.accountId);
    expect(start).toBe(1);
    await h.database.db.transaction(async (tx) => {
      await tx.update(directoryUsers).set({ displayName: "Renamed One" }).where(eq(directoryUsers.id, f.userIds[0]!));
      await tx.update(directoryUsers).set({ email: "two@corp.example" }).where(eq(directoryUsers.id, f.userIds[1]!));
      await tx.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.id, f.userIds[2]!));
    });
    expect(await version(f.accountId)).toBe(start + 1);
    await h.database.db
      .transaction(async (tx) => {
        await tx.update(directoryUsers).set({ displayName: "Never" }).where(eq(directoryUsers.accountId, f.accountId));
        tx.rollback();
      })
      .catch(() => undefined);
    expect(await version(f.accountId)).toBe(start + 1);
    await h.database.db.update(directoryUsers).set({ active: false }).where(eq(directoryUsers.accountId, f.accountId));
    expect(await version(f.accountId)).toBe(start + 1);
    // Another account's changes are its own.
    const g = await makeTenant(h, { users: 1 });
    await h.database.db.execute(sql`update directory_users set display_name = 'G' where account_id = ${g.accountId}::uuid`);
    expect(await version(f.accountId)).toBe(start + 1);
    expect(await version(g.accountId)).toBe(2);
  });
});
