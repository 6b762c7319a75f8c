import { beforeAll, describe, expect, it } from "vitest";
import { and, count, eq } from "drizzle-orm";
import { assignments, auditLog, directoryGroups, directoryUsers, groupMembers, profiles, subscriptions } from "@seatdesk/db";
import { addMembers, callerAs, harnessForFile, makeTenant, rejection, testNow, writeCounts, type Tenant } from "./harness";

const h = harnessForFile();

/** Everything the directory area writes for an account, for "nothing was written" assertions. */
async function directoryCounts(accountId: string) {
  const db = h.database.db;
  const [users] = await db.select({ n: count() }).from(directoryUsers).where(eq(directoryUsers.accountId, accountId));
  const [groups] = await db.select({ n: count() }).from(directoryGroups).where(eq(directoryGroups.accountId, accountId));
  const [members] = await db.select({ n: count() }).from(groupMembers).where(eq(groupMembers.accountId, accountId));
  return { users: users!.n, groups: groups!.n, members: members!.n, ...(await writeCounts(h, accountId)) };
}

/** Assigns a group a tier in a profile, as the Groups tab's subscribe would; the test is about what membership then does. */
async function assignGroup(t: Tenant, groupId: string, tier: "pro" | "pro_plus" | "power", profileId = t.profileId) {
  await h.database.db.insert(assignments).values({ accountId: t.accountId, profileId, groupId, tier });
}

/** Marks a subscription Active, as a first sign-in would. */
async function activate(t: Tenant, userId: string, profileId = t.profileId) {
  await h.database.db
    .update(subscriptions)
    .set({ status: "active", activatedAt: testNow, lastActiveAt: testNow })
    .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, profileId), eq(subscriptions.userId, userId)));
}

async function statusIn(t: Tenant, userId: string, profileId = t.profileId) {
  const page = await callerAs(h, t.admins.viewer).subscriptions.list({ profileId, limit: 200 });
  const row = page.rows.find((r) => r.userId === userId);
  expect(row, `user ${userId} is listed`).toBeDefined();
  return { status: row!.status, tier: row!.tier, accessEndsAt: row!.accessEndsAt };
}

async function secondProfile(t: Tenant): Promise<string> {
  const [p] = await h.database.db.insert(profiles).values({ accountId: t.accountId, region: "eu-central-1", name: "Europe" }).returning();
  return p!.id;
}

const endOfJanuary = "2026-02-01T00:00:00.000Z";

describe("directory lists", () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await makeTenant(h, { users: 23, groups: 3 });
    await addMembers(h, t, t.groupIds[0]!, t.userIds.slice(0, 5));
    await addMembers(h, t, t.groupIds[1]!, t.userIds.slice(3, 4));
    // User 00020 left (deleted by the identity provider); User 00021 is set inactive.
    await h.database.db.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.id, t.userIds[20]!));
    await h.database.db.update(directoryUsers).set({ active: false }).where(eq(directoryUsers.id, t.userIds[21]!));
  });

  it("lists users in name order with their groups; deleted users never appear", async () => {
    const api = callerAs(h, t.admins.viewer);
    const page = await api.directory.listUsers({ limit: 200 });
    expect(page.nextCursor).toBeNull();
    expect(page.rows).toHaveLength(22);
    expect(page.rows.map((r) => r.id)).not.toContain(t.userIds[20]);
    expect(page.rows.map((r) => r.displayName)).toEqual([...page.rows.map((r) => r.displayName)].sort());
    const fourth = page.rows.find((r) => r.id === t.userIds[3])!;
    expect(fourth).toEqual({
      id: t.userIds[3],
      userName: fourth.email,
      displayName: "User 00003",
      email: expect.stringMatching(/^user3-.*@example\.com$/),
      active: true,
      groups: [
        { id: t.groupIds[0], displayName: "Group 0" },
        { id: t.groupIds[1], displayName: "Group 1" },
      ],
    });
    expect(page.rows.find((r) => r.id === t.userIds[10])!.groups).toEqual([]);
  });

  it("filters by status", async () => {
    const api = callerAs(h, t.admins.viewer);
    expect((await api.directory.listUsers({ status: "inactive" })).rows.map((r) => r.id)).toEqual([t.userIds[21]]);
    const active = await api.directory.listUsers({ status: "active", limit: 200 });
    expect(active.rows).toHaveLength(21);
    expect(active.rows.every((r) => r.active)).toBe(true);
  });

  it("searches by name and by e-mail, case-insensitively, with % and _ taken literally", async () => {
    const api = callerAs(h, t.admins.viewer);
    expect((await api.directory.listUsers({ search: "user 0001" })).rows.map((r) => r.displayName)).toEqual(
      Array.from({ length: 10 }, (_, i) => `User 0001${i}`),
    );
    expect((await api.directory.listUsers({ search: "USER7-" })).rows.map((r) => r.id)).toEqual([t.userIds[7]]);
    expect((await api.directory.listUsers({ search: "%" })).rows).toEqual([]);
    expect((await api.directory.listUsers({ search: "user_" })).rows).toEqual([]);
    // The deleted user is not found by search either.
    expect((await api.directory.listUsers({ search: "User 00020" })).rows).toEqual([]);
  });

  it("pages through every user without repeats or gaps", async () => {
    const api = callerAs(h, t.admins.viewer);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof api.directory.listUsers>> = await api.directory.listUsers({ limit: 5, cursor });
      sizes.push(page.rows.length);
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([5, 5, 5, 5, 2]);
    expect(new Set(seen).size).toBe(22);
    const all = (await api.directory.listUsers({ limit: 200 })).rows.map((r) => r.id);
    expect(seen).toEqual(all);
  });

  it("pages a search with its cursor", async () => {
    const api = callerAs(h, t.admins.viewer);
    const first = await api.directory.listUsers({ search: "user 0001", limit: 6 });
    const second = await api.directory.listUsers({ search: "user 0001", limit: 6, cursor: first.nextCursor });
    expect([...first.rows, ...second.rows].map((r) => r.displayName)).toEqual(Array.from({ length: 10 }, (_, i) => `User 0001${i}`));
    expect(second.nextCursor).toBeNull();
  });

  it("refuses a cursor it did not give out, and a limit over 200", async () => {
    const api = callerAs(h, t.admins.viewer);
    expect(await rejection(api.directory.listUsers({ cursor: "garbage" }))).toMatchObject({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out" });
    const notAnId = Buffer.from(JSON.stringify(["User 00001", "1; drop table"])).toString("base64url");
    expect(await rejection(api.directory.listGroups({ cursor: notAnId }))).toMatchObject({ code: "BAD_REQUEST", message: /^cursor: / });
    expect(await rejection(api.directory.listUsers({ limit: 201 }))).toMatchObject({ code: "BAD_REQUEST", message: /^limit: / });
  });

  it("gets one user with their groups; a deleted or unknown one is NOT_FOUND", async () => {
    const api = callerAs(h, t.admins.viewer);
    const user = await api.directory.getUser({ userId: t.userIds[3]! });
    expect(user).toMatchObject({ id: t.userIds[3], displayName: "User 00003", groups: [{ displayName: "Group 0" }, { displayName: "Group 1" }] });
    expect(await rejection(api.directory.getUser({ userId: t.userIds[20]! }))).toMatchObject({ code: "NOT_FOUND", message: `userId: no user ${t.userIds[20]} in this account` });
    expect(await rejection(api.directory.getUser({ userId: "not-a-uuid" }))).toMatchObject({ code: "BAD_REQUEST", message: /^userId: / });
  });

  it("lists groups with member counts, searches and pages them", async () => {
    const api = callerAs(h, t.admins.viewer);
    const all = await api.directory.listGroups({});
    expect(all.rows).toEqual([
      { id: t.groupIds[0], displayName: "Group 0", memberCount: 5 },
      { id: t.groupIds[1], displayName: "Group 1", memberCount: 1 },
      { id: t.groupIds[2], displayName: "Group 2", memberCount: 0 },
    ]);
    expect((await api.directory.listGroups({ search: "GROUP 1" })).rows.map((g) => g.id)).toEqual([t.groupIds[1]]);
    const first = await api.directory.listGroups({ limit: 2 });
    const second = await api.directory.listGroups({ limit: 2, cursor: first.nextCursor });
    expect([...first.rows, ...second.rows].map((g) => g.id)).toEqual(t.groupIds);
    expect(second.nextCursor).toBeNull();
  });

  it("lists a group's members, searches and pages them; deleted members are not listed or counted", async () => {
    await addMembers(h, t, t.groupIds[2]!, [t.userIds[20]!, t.userIds[21]!, t.userIds[22]!]);
    const api = callerAs(h, t.admins.viewer);
    expect((await api.directory.listGroups({ search: "group 2" })).rows[0]!.memberCount).toBe(2);
    const members = await api.directory.groupMembers({ groupId: t.groupIds[0]! });
    expect(members.group).toEqual({ id: t.groupIds[0], displayName: "Group 0" });
    expect(members.rows.map((r) => r.displayName)).toEqual(["User 00000", "User 00001", "User 00002", "User 00003", "User 00004"]);
    const p1 = await api.directory.groupMembers({ groupId: t.groupIds[0]!, limit: 3 });
    const p2 = await api.directory.groupMembers({ groupId: t.groupIds[0]!, limit: 3, cursor: p1.nextCursor });
    expect([...p1.rows, ...p2.rows].map((r) => r.id)).toEqual(t.userIds.slice(0, 5));
    expect(p2.nextCursor).toBeNull();
    expect((await api.directory.groupMembers({ groupId: t.groupIds[0]!, search: "user2-" })).rows.map((r) => r.id)).toEqual([t.userIds[2]]);
    expect((await api.directory.groupMembers({ groupId: t.groupIds[2]! })).rows.map((r) => r.id)).toEqual([t.userIds[21], t.userIds[22]]);
    const ghost = "00000000-0000-4000-8000-000000000000";
    expect(await rejection(api.directory.groupMembers({ groupId: ghost }))).toMatchObject({ code: "NOT_FOUND", message: `groupId: no group ${ghost} in this account` });
  });

  it("shows nothing of another account", async () => {
    const other = await makeTenant(h, { users: 2, groups: 1 });
    const api = callerAs(h, other.admins.owner);
    expect((await api.directory.listUsers({ limit: 200 })).rows.map((r) => r.id).sort()).toEqual([...other.userIds].sort());
    expect((await api.directory.listGroups({})).rows.map((g) => g.id)).toEqual(other.groupIds);
    expect((await rejection(api.directory.getUser({ userId: t.userIds[0]! }))).code).toBe("NOT_FOUND");
    expect((await rejection(api.directory.groupMembers({ groupId: t.groupIds[0]! }))).code).toBe("NOT_FOUND");
  });
});

describe("directory.createUser and directory.createGroup", () => {
  it("creates a user whose user name defaults to the e-mail, audited", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    const user = await api.directory.createUser({ displayName: "  Ada Lovelace ", email: "Ada@Example.com" });
    expect(user).toEqual({ id: expect.any(String), userName: "Ada@Example.com", displayName: "Ada Lovelace", email: "Ada@Example.com", active: true, groups: [] });
    expect((await api.directory.getUser({ userId: user.id })).displayName).toBe("Ada Lovelace");
    expect(await directoryCounts(t.accountId)).toMatchObject({ users: 1, audit: 1 });
  });

  it("refuses a user name already taken, whatever its case, naming the field, and writes nothing", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.owner);
    await api.directory.createUser({ displayName: "Ada", email: "ada@example.com" });
    await api.directory.createUser({ displayName: "Grace", email: "grace@example.com", userName: "ghopper" });
    const before = await directoryCounts(t.accountId);
    expect(await rejection(api.directory.createUser({ displayName: "Ada again", email: "ADA@example.com" }))).toMatchObject({
      code: "CONFLICT",
      message: "email: a user with this user name already exists",
    });
    expect(await rejection(api.directory.createUser({ displayName: "Grace again", email: "g2@example.com", userName: "GHopper" }))).toMatchObject({
      code: "CONFLICT",
      message: "userName: a user with this user name already exists",
    });
    await h.database.db.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.accountId, t.accountId));
    expect(await rejection(api.directory.createUser({ displayName: "Ada", email: "ada@example.com" }))).toMatchObject({
      code: "CONFLICT",
      message: /^email: a user with this user name was deleted by the identity provider/,
    });
    expect(await directoryCounts(t.accountId)).toEqual(before);
  });

  it("the same user name in another account is no conflict", async () => {
    const a = await makeTenant(h, { users: 0 });
    const b = await makeTenant(h, { users: 0 });
    await callerAs(h, a.admins.owner).directory.createUser({ displayName: "Ada", email: "ada@example.com" });
    await expect(callerAs(h, b.admins.owner).directory.createUser({ displayName: "Ada", email: "ada@example.com" })).resolves.toMatchObject({ userName: "ada@example.com" });
  });

  it("bad input names the field", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.owner);
    expect(await rejection(api.directory.createUser({ displayName: "X", email: "not an address" }))).toMatchObject({ code: "BAD_REQUEST", message: "email: not a valid e-mail address" });
    expect(await rejection(api.directory.createUser({ displayName: "   ", email: "x@example.com" }))).toMatchObject({ code: "BAD_REQUEST", message: "displayName: required" });
    expect(await rejection(api.directory.createUser({ displayName: "x".repeat(201), email: "x@example.com" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "displayName: at most 200 characters",
    });
    expect(await directoryCounts(t.accountId)).toMatchObject({ users: 0, audit: 0 });
  });

  it("creates groups; a name taken in any case is CONFLICT", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    const group = await api.directory.createGroup({ displayName: "Engineering" });
    expect(group).toEqual({ id: expect.any(String), displayName: "Engineering", memberCount: 0 });
    expect(await rejection(api.directory.createGroup({ displayName: "ENGINEERING" }))).toMatchObject({
      code: "CONFLICT",
      message: "displayName: a group with this name already exists",
    });
    expect(await directoryCounts(t.accountId)).toMatchObject({ groups: 1, audit: 1 });
    expect((await api.directory.listGroups({})).rows).toEqual([group]);
  });
});

describe("group membership re-runs the rules", () => {
  it("a user added to a subscribed group is Pending there at once; a group assigned nowhere changes no subscription", async () => {
    const t = await makeTenant(h, { users: 4, groups: 2 });
    await assignGroup(t, t.groupIds[0]!, "pro_plus");
    const api = callerAs(h, t.admins.admin);
    const res = await api.directory.addMembers({ groupId: t.groupIds[0]!, userIds: t.userIds.slice(0, 2) });
    expect(res).toEqual({
      added: 2,
      results: t.userIds.slice(0, 2).map((userId) => ({ userId, profileId: t.profileId, outcome: { kind: "subscribed", tier: "pro_plus" }, status: "pending", tier: "pro_plus" })),
    });
    expect(await statusIn(t, t.userIds[0]!)).toMatchObject({ status: "pending", tier: "pro_plus" });
    expect(await statusIn(t, t.userIds[2]!)).toMatchObject({ status: null });

    const plain = await api.directory.addMembers({ groupId: t.groupIds[1]!, userIds: [t.userIds[3]!] });
    expect(plain).toEqual({ added: 1, results: [] });
    expect(await statusIn(t, t.userIds[3]!)).toMatchObject({ status: null });
    // membership + 2 subscriptions, then membership of the unassigned group
    expect(await directoryCounts(t.accountId)).toMatchObject({ members: 3, subscriptions: 2, audit: 4 });
  });

  it("answers per profile where the group is assigned, each at its own tier; adding a member again changes nothing", async () => {
    const t = await makeTenant(h, { users: 2, groups: 1 });
    const eu = await secondProfile(t);
    await assignGroup(t, t.groupIds[0]!, "pro");
    await assignGroup(t, t.groupIds[0]!, "power", eu);
    const api = callerAs(h, t.admins.owner);
    const res = await api.directory.addMembers({ groupId: t.groupIds[0]!, userIds: [t.userIds[0]!, t.userIds[0]!] });
    expect(res.added).toBe(1);
    expect(res.results).toEqual([
      // eu-central-1 before us-east-1
      { userId: t.userIds[0], profileId: eu, outcome: { kind: "subscribed", tier: "power" }, status: "pending", tier: "power" },
      { userId: t.userIds[0], profileId: t.profileId, outcome: { kind: "subscribed", tier: "pro" }, status: "pending", tier: "pro" },
    ]);
    expect(await statusIn(t, t.userIds[0]!, eu)).toMatchObject({ status: "pending", tier: "power" });
    const before = await directoryCounts(t.accountId);
    const again = await api.directory.addMembers({ groupId: t.groupIds[0]!, userIds: [t.userIds[0]!] });
    expect(again.added).toBe(0);
    expect(again.results.map((r) => r.outcome.kind)).toEqual(["unchanged", "unchanged"]);
    expect(await directoryCounts(t.accountId)).toEqual(before);
  });

  it("a user the identity provider set inactive joins the group but is not subscribed (edge case 9)", async () => {
    const t = await makeTenant(h, { users: 1, groups: 1 });
    await h.database.db.update(directoryUsers).set({ active: false }).where(eq(directoryUsers.id, t.userIds[0]!));
    await assignGroup(t, t.groupIds[0]!, "pro");
    const res = await callerAs(h, t.admins.owner).directory.addMembers({ groupId: t.groupIds[0]!, userIds: t.userIds });
    expect(res).toEqual({ added: 1, results: [{ userId: t.userIds[0], profileId: t.profileId, outcome: { kind: "none" }, status: null, tier: null }] });
  });

  it("removed from their only subscribed group, an Active user is Canceled until the month ends and a Pending one is removed", async () => {
    const t = await makeTenant(h, { users: 3, groups: 1 });
    await assignGroup(t, t.groupIds[0]!, "pro");
    const api = callerAs(h, t.admins.admin);
    await api.directory.addMembers({ groupId: t.groupIds[0]!, userIds: t.userIds });
    await activate(t, t.userIds[0]!);
    const res = await api.directory.removeMembers({ groupId: t.groupIds[0]!, userIds: t.userIds.slice(0, 2) });
    expect(res).toEqual({
      removed: 2,
      results: [
        { userId: t.userIds[0], profileId: t.profileId, outcome: { kind: "canceled", accessEndsAt: endOfJanuary }, status: "canceled", tier: "pro" },
        { userId: t.userIds[1], profileId: t.profileId, outcome: { kind: "removed" }, status: null, tier: null },
      ],
    });
    expect(await statusIn(t, t.userIds[0]!)).toEqual({ status: "canceled", tier: "pro", accessEndsAt: endOfJanuary });
    expect(await statusIn(t, t.userIds[1]!)).toMatchObject({ status: null, tier: null });
    expect(await statusIn(t, t.userIds[2]!)).toMatchObject({ status: "pending", tier: "pro" });
    expect((await api.directory.groupMembers({ groupId: t.groupIds[0]! })).rows.map((r) => r.id)).toEqual([t.userIds[2]]);
  });

  it("removed from one of two subscribed groups, an Active user's tier is recomputed: the lower tier is a scheduled downgrade", async () => {
    const t = await makeTenant(h, { users: 1, groups: 2 });
    await assignGroup(t, t.groupIds[0]!, "power");
    await assignGroup(t, t.groupIds[1]!, "pro");
    const api = callerAs(h, t.admins.admin);
    await api.directory.addMembers({ groupId: t.groupIds[0]!, userIds: t.userIds });
    await api.directory.addMembers({ groupId: t.groupIds[1]!, userIds: t.userIds });
    await activate(t, t.userIds[0]!);
    const res = await api.directory.removeMembers({ groupId: t.groupIds[0]!, userIds: t.userIds });
    expect(res.results).toEqual([
      {
        userId: t.userIds[0],
        profileId: t.profileId,
        outcome: { kind: "downgrade-scheduled", from: "power", to: "pro", at: endOfJanuary },
        status: "active",
        tier: "power",
      },
    ]);
  });

  it("removing a user who is not a member changes nothing", async () => {
    const t = await makeTenant(h, { users: 1, groups: 1 });
    const before = await directoryCounts(t.accountId);
    expect(await callerAs(h, t.admins.admin).directory.removeMembers({ groupId: t.groupIds[0]!, userIds: t.userIds })).toEqual({ removed: 0, results: [] });
    expect(await directoryCounts(t.accountId)).toEqual(before);
  });

  describe("unknown or another account's ids: NOT_FOUND naming the field, nothing written", () => {
    it("an unknown user among known ones", async () => {
      const t = await makeTenant(h, { users: 3, groups: 1 });
      await assignGroup(t, t.groupIds[0]!, "pro");
      const ghost = "00000000-0000-4000-8000-000000000000";
      const before = await directoryCounts(t.accountId);
      const api = callerAs(h, t.admins.admin);
      expect(await rejection(api.directory.addMembers({ groupId: t.groupIds[0]!, userIds: [...t.userIds, ghost] }))).toMatchObject({
        code: "NOT_FOUND",
        message: `userIds.3: no user ${ghost} in this account`,
      });
      expect(await rejection(api.directory.removeMembers({ groupId: t.groupIds[0]!, userIds: [ghost] }))).toMatchObject({
        code: "NOT_FOUND",
        message: `userIds.0: no user ${ghost} in this account`,
      });
      expect(await directoryCounts(t.accountId)).toEqual(before);
    });

    it("another account's user or group", async () => {
      const mine = await makeTenant(h, { users: 2, groups: 1 });
      const theirs = await makeTenant(h, { users: 2, groups: 1 });
      await addMembers(h, theirs, theirs.groupIds[0]!, theirs.userIds);
      const api = callerAs(h, mine.admins.owner);
      const mineBefore = await directoryCounts(mine.accountId);
      const theirsBefore = await directoryCounts(theirs.accountId);
      expect(await rejection(api.directory.addMembers({ groupId: mine.groupIds[0]!, userIds: [mine.userIds[0]!, theirs.userIds[0]!] }))).toMatchObject({
        code: "NOT_FOUND",
        message: `userIds.1: no user ${theirs.userIds[0]} in this account`,
      });
      expect(await rejection(api.directory.addMembers({ groupId: theirs.groupIds[0]!, userIds: mine.userIds }))).toMatchObject({
        code: "NOT_FOUND",
        message: `groupId: no group ${theirs.groupIds[0]} in this account`,
      });
      expect(await rejection(api.directory.removeMembers({ groupId: theirs.groupIds[0]!, userIds: theirs.userIds }))).toMatchObject({ code: "NOT_FOUND" });
      expect(await directoryCounts(mine.accountId)).toEqual(mineBefore);
      expect(await directoryCounts(theirs.accountId)).toEqual(theirsBefore);
    });

    it("more than 1,000 users", async () => {
      const t = await makeTenant(h, { users: 1, groups: 1 });
      const e = await rejection(callerAs(h, t.admins.admin).directory.addMembers({ groupId: t.groupIds[0]!, userIds: Array.from({ length: 1001 }, () => t.userIds[0]!) }));
      expect(e).toMatchObject({ code: "BAD_REQUEST", message: "userIds: at most 1000 users in one call" });
    });
  });
});

describe("directory.importCsv", () => {
  const good = [
    "Email,Display_Name,groups",
    "ada@example.com,Ada Lovelace,Engineering;Research",
    "grace@example.com,Grace Hopper,engineering",
  ].join("\n");

  it("validate reports what an import would do and writes nothing", async () => {
    const t = await makeTenant(h, { users: 0 });
    const before = await directoryCounts(t.accountId);
    const res = await callerAs(h, t.admins.admin).directory.importCsv({ csv: good, mode: "validate" });
    expect(res).toEqual({
      mode: "validate",
      rows: 2,
      valid: 2,
      errors: [],
      imported: false,
      created: 2,
      updated: 0,
      unchanged: 0,
      groupsCreated: 2,
      membershipsAdded: 3,
      subscriptionsChanged: 0,
    });
    expect(await directoryCounts(t.accountId)).toEqual(before);
  });

  it("imports users, creates unknown groups (matching names in any case), adds memberships, and audits once", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    await api.directory.createGroup({ displayName: "Research" });
    const res = await api.directory.importCsv({ csv: good, mode: "import" });
    expect(res).toMatchObject({ imported: true, rows: 2, valid: 2, errors: [], created: 2, updated: 0, groupsCreated: 1, membershipsAdded: 3 });
    const users = (await api.directory.listUsers({})).rows;
    expect(users.map((u) => [u.userName, u.displayName, u.groups.map((g) => g.displayName)])).toEqual([
      ["ada@example.com", "Ada Lovelace", ["Engineering", "Research"]],
      ["grace@example.com", "Grace Hopper", ["Engineering"]],
    ]);
    expect((await api.directory.listGroups({})).rows.map((g) => [g.displayName, g.memberCount])).toEqual([
      ["Engineering", 2],
      ["Research", 1],
    ]);
    // createGroup's entry, then the import's one
    expect(await directoryCounts(t.accountId)).toMatchObject({ users: 2, groups: 2, members: 3, audit: 2 });
  });

  it("updates existing users (same user name, any case) instead of duplicating them, and never removes a membership", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    const ada = await api.directory.createUser({ displayName: "Ada", email: "ada@old.example", userName: "ADA" });
    const group = await api.directory.createGroup({ displayName: "Old team" });
    await api.directory.addMembers({ groupId: group.id, userIds: [ada.id] });
    const csv = ["user_name,email,display_name,groups", "ada,ada@example.com,Ada Lovelace,New team", "grace,grace@example.com,Grace Hopper,"].join("\n");
    const res = await api.directory.importCsv({ csv, mode: "import" });
    expect(res).toMatchObject({ imported: true, created: 1, updated: 1, unchanged: 0, groupsCreated: 1, membershipsAdded: 1 });
    expect(await api.directory.getUser({ userId: ada.id })).toMatchObject({
      userName: "ADA",
      displayName: "Ada Lovelace",
      email: "ada@example.com",
      groups: [{ displayName: "New team" }, { displayName: "Old team" }],
    });
    const again = await api.directory.importCsv({ csv, mode: "import" });
    expect(again).toMatchObject({ imported: true, created: 0, updated: 0, unchanged: 2, groupsCreated: 0, membershipsAdded: 0 });
    expect(await directoryCounts(t.accountId)).toMatchObject({ users: 2, groups: 2, members: 2 });
  });

  describe("a file with errors", () => {
    const bad = [
      "display_name,email,groups", // row 1
      "Ada Lovelace,ada@example.com,Engineering", // 2: fine
      ",nameless@example.com,", // 3: no display name
      "Bad Mail,not-an-address,", // 4: invalid e-mail
      "Ada Again,ADA@example.com,", // 5: duplicate e-mail
      "", // 6: blank, skipped
      `${"x".repeat(201)},long@example.com,`, // 7: display name too long
      `"Grace`, // 8: a quoted name over two lines: an error at the line it starts on
      `Hopper",grace@example.com,Engineering`,
      "Linus,linus@example.com,Engineering", // 10: fine
    ].join("\r\n");
    const expectedErrors = [
      { row: 3, field: "display_name", message: "required" },
      { row: 4, field: "email", message: "not a valid e-mail address: not-an-address" },
      { row: 5, field: "email", message: "duplicate e-mail: already in row 2" },
      { row: 7, field: "display_name", message: "too long: at most 200 characters, got 201" },
      { row: 8, field: "display_name", message: "must be one line without control characters" },
    ];

    it("validate lists every problem by row and field, and writes nothing", async () => {
      const t = await makeTenant(h, { users: 0 });
      const before = await directoryCounts(t.accountId);
      const res = await callerAs(h, t.admins.admin).directory.importCsv({ csv: bad, mode: "validate" });
      expect(res).toMatchObject({ mode: "validate", rows: 7, valid: 2, imported: false, created: 0 });
      expect(res.errors).toEqual(expectedErrors);
      expect(await directoryCounts(t.accountId)).toEqual(before);
    });

    it("import without skipInvalidRows writes nothing and answers the same report", async () => {
      const t = await makeTenant(h, { users: 0 });
      const before = await directoryCounts(t.accountId);
      const res = await callerAs(h, t.admins.admin).directory.importCsv({ csv: bad, mode: "import" });
      expect(res).toEqual({
        mode: "import",
        rows: 7,
        valid: 2,
        errors: expectedErrors,
        imported: false,
        created: 0,
        updated: 0,
        unchanged: 0,
        groupsCreated: 0,
        membershipsAdded: 0,
        subscriptionsChanged: 0,
      });
      expect(await directoryCounts(t.accountId)).toEqual(before);
    });

    it("import with skipInvalidRows imports only the valid rows, and validate with it predicts that", async () => {
      const t = await makeTenant(h, { users: 0 });
      const api = callerAs(h, t.admins.admin);
      const predicted = await api.directory.importCsv({ csv: bad, mode: "validate", skipInvalidRows: true });
      expect(predicted).toMatchObject({ imported: false, created: 2, groupsCreated: 1, membershipsAdded: 2 });
      const res = await api.directory.importCsv({ csv: bad, mode: "import", skipInvalidRows: true });
      expect(res).toMatchObject({ imported: true, rows: 7, valid: 2, created: 2, updated: 0, groupsCreated: 1, membershipsAdded: 2 });
      expect(res.errors).toEqual(expectedErrors);
      expect((await api.directory.listUsers({})).rows.map((u) => u.email)).toEqual(["ada@example.com", "linus@example.com"]);
      expect(await directoryCounts(t.accountId)).toMatchObject({ users: 2, groups: 1, members: 2, audit: 1 });
    });
  });

  it("reads a header in any case and order with a byte-order mark, quoted fields and an optional user_name", async () => {
    const t = await makeTenant(h, { users: 0 });
    const csv = '\uFEFFGROUPS,Display Name,E-mail,User_Name\n"A; B",\"Lovelace, Ada\",ada@example.com,\n,Grace,grace@example.com,ghopper\n';
    const api = callerAs(h, t.admins.admin);
    const res = await api.directory.importCsv({ csv, mode: "import" });
    expect(res).toMatchObject({ imported: true, errors: [], created: 2, groupsCreated: 2, membershipsAdded: 2 });
    expect((await api.directory.listUsers({})).rows.map((u) => [u.userName, u.displayName, u.groups.length])).toEqual([
      ["ghopper", "Grace", 0],
      ["ada@example.com", "Lovelace, Ada", 2],
    ]);
  });

  it("a duplicate user name, a deleted user's user name and a row wider than the header are row errors", async () => {
    const t = await makeTenant(h, { users: 1 });
    const [gone] = await h.database.db.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.id, t.userIds[0]!)).returning();
    const csv = [
      "email,display_name,user_name",
      "a@example.com,A,alpha",
      "b@example.com,B,ALPHA",
      `${gone!.email},Back again,`,
      "c@example.com,C,gamma,extra",
      "d@example.com,D,delta,,",
    ].join("\n");
    const res = await callerAs(h, t.admins.admin).directory.importCsv({ csv, mode: "validate" });
    expect(res.errors).toEqual([
      { row: 3, field: "user_name", message: "duplicate user name: already in row 2" },
      { row: 4, field: "user_name", message: "a user with this user name was deleted by the identity provider and cannot be imported again" },
      { row: 5, field: "csv", message: "this row has 4 fields but the header names 3" },
    ]);
    expect(res.valid).toBe(2);
  });

  it("file-level errors block the import even with skipInvalidRows", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    const before = await directoryCounts(t.accountId);
    const run = (csv: string) => api.directory.importCsv({ csv, mode: "import", skipInvalidRows: true });

    expect(await run("")).toMatchObject({ imported: false, errors: [{ row: 1, field: "csv", message: /^the file is empty/ }] });
    expect((await run("mail,display_name,team\nx@example.com,X,A\n")).errors).toEqual([
      { row: 1, field: "mail", message: "unknown column; the columns are email, display_name, user_name, groups" },
      { row: 1, field: "team", message: "unknown column; the columns are email, display_name, user_name, groups" },
      { row: 1, field: "email", message: "missing column: the header row must name it" },
    ]);
    expect((await run("email,display_name,Email\n")).errors).toEqual([{ row: 1, field: "email", message: "this column appears twice" }]);
    const unreadable = await run('email,display_name\nx@example.com,"X\n');
    expect(unreadable).toMatchObject({ imported: false, errors: [{ row: 2, field: "csv", message: /^the file cannot be read as CSV: / }] });

    const tooMany = ["email,display_name", ...Array.from({ length: 10_001 }, (_, i) => `u${i}@example.com,User ${i}`)].join("\n");
    expect(await run(tooMany)).toMatchObject({ imported: false, rows: 10_001, valid: 0, errors: [{ row: 10_002, field: "csv", message: "more than 10,000 rows: split the file" }] });
    expect(await directoryCounts(t.accountId)).toEqual(before);
  });

  it("refuses a file over 5 MB, naming the field", async () => {
    const t = await makeTenant(h, { users: 0 });
    const csv = `email,display_name\n${"x".repeat(5 * 1024 * 1024)}`;
    expect(await rejection(callerAs(h, t.admins.admin).directory.importCsv({ csv, mode: "validate" }))).toMatchObject({ code: "BAD_REQUEST", message: "csv: at most 5 MB" });
  });

  it("imports 10,000 rows in one call", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    const csv = ["email,display_name,groups", ...Array.from({ length: 10_000 }, (_, i) => `u${i}@example.com,User ${String(i).padStart(5, "0")},Team ${i % 10}`)].join("\n");
    const res = await api.directory.importCsv({ csv, mode: "import" });
    expect(res).toMatchObject({ imported: true, created: 10_000, groupsCreated: 10, membershipsAdded: 10_000 });
    const updated = csv.replace(/User /g, "Person ");
    expect(await api.directory.importCsv({ csv: updated, mode: "import" })).toMatchObject({ imported: true, created: 0, updated: 10_000, membershipsAdded: 0 });
    expect((await api.directory.listUsers({ limit: 1 })).rows[0]!.displayName).toBe("Person 00000");
    expect(await directoryCounts(t.accountId)).toMatchObject({ users: 10_000, groups: 10, members: 10_000, audit: 2 });
  }, 60_000);

  it("memberships from a file re-run the rules like addMembers: imported into a subscribed group, a user is Pending", async () => {
    const t = await makeTenant(h, { users: 1, groups: 1 });
    await assignGroup(t, t.groupIds[0]!, "pro_plus");
    const [existing] = await h.database.db.select().from(directoryUsers).where(eq(directoryUsers.id, t.userIds[0]!));
    const csv = ["email,display_name,groups", `${existing!.email},${existing!.displayName},group 0`, "new@example.com,New Person,Group 0;Other"].join("\n");
    const api = callerAs(h, t.admins.admin);
    const res = await api.directory.importCsv({ csv, mode: "import" });
    expect(res).toMatchObject({ imported: true, created: 1, unchanged: 1, groupsCreated: 1, membershipsAdded: 3, subscriptionsChanged: 2 });
    const newUser = (await api.directory.listUsers({ search: "new@example.com" })).rows[0]!;
    expect(await statusIn(t, t.userIds[0]!)).toMatchObject({ status: "pending", tier: "pro_plus" });
    expect(await statusIn(t, newUser.id)).toMatchObject({ status: "pending", tier: "pro_plus" });
    const [entry] = await h.database.db.select().from(auditLog).where(eq(auditLog.accountId, t.accountId));
    expect(entry).toMatchObject({
      action: "directory.import",
      actorLabel: t.admins.admin.email,
      after: { rows: 2, valid: 2, skipped: 0, created: 1, unchanged: 1, groupsCreated: 1, membershipsAdded: 3, subscriptionsChanged: 2, subscriptionOutcomes: { subscribed: 2 } },
    });
    expect(await directoryCounts(t.accountId)).toMatchObject({ subscriptions: 2, audit: 1 });
  });

  it("a viewer cannot even validate", async () => {
    const t = await makeTenant(h, { users: 0 });
    expect((await rejection(callerAs(h, t.admins.viewer).directory.importCsv({ csv: good, mode: "validate" }))).code).toBe("FORBIDDEN");
  });
});
