import { beforeAll, describe, expect, it } from "vitest";
import { and, desc, eq } from "drizzle-orm";
import { assignments, auditLog, directoryUsers } from "@seatdesk/db";
import { tenantFingerprint } from "./fingerprint";
import { activateAt, addMembers, callerAs, harnessForFile, makeTenant, rejection, testNow, type Tenant } from "./harness";

/**
 * Issue 8, reconciliation: the report finds members of subscribed groups without a subscription and
 * subscriptions that nothing covers, and repair hands them back to the rules. The rules never leave such
 * a state behind, so the tests make it by writing to the database behind their back.
 */
const h = harnessForFile();

let t: Tenant;
let other: Tenant;
const user = (i: number) => t.userIds[i]!;

async function subscriptionsByUser(tenant: Tenant) {
  const page = await callerAs(h, tenant.admins.viewer).subscriptions.list({ profileId: tenant.profileId, limit: 200 });
  return new Map(page.rows.map((r) => [r.userId, { status: r.status, tier: r.tier }]));
}

beforeAll(async () => {
  t = await makeTenant(h, { users: 8, groups: 2 });
  other = await makeTenant(h, { users: 2, groups: 1 });
  const owner = callerAs(h, t.admins.owner);
  await addMembers(h, t, t.groupIds[0]!, [user(0), user(1)]);
  await owner.subscriptions.subscribe({ profileId: t.profileId, groupIds: [t.groupIds[0]!], tier: "pro" });
  await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [user(3), user(4), user(5)], tier: "pro_plus" });
  await activateAt(h, t, [user(4)], testNow);
});

describe("coverage.report and coverage.repair", () => {
  it("a consistent profile: every subscribed group listed with no one uncovered, no orphans", async () => {
    const report = await callerAs(h, t.admins.viewer).coverage.report({ profileId: t.profileId });
    expect(report.groups).toEqual([{ groupId: t.groupIds[0], displayName: "Group 0", tier: "pro", members: 2, uncovered: [], uncoveredCount: 0 }]);
    expect(report.orphans).toEqual([]);
    expect(report.checkedAt).toBe(testNow.toISOString());
  });

  it("finds what was written behind the rules' back, repairs it in one audited transaction, and the report is empty", async () => {
    const db = h.database.db;
    // A member inserted without reconciling: in a subscribed group, no subscription.
    await addMembers(h, t, t.groupIds[0]!, [user(2)]);
    // A member the identity provider deleted is not someone to cover.
    await addMembers(h, t, t.groupIds[0]!, [user(7)]);
    await db.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.id, user(7)));
    // Assignments deleted directly: a Pending and an Active subscription that nothing covers.
    await db.delete(assignments).where(and(eq(assignments.accountId, t.accountId), eq(assignments.userId, user(3))));
    await db.delete(assignments).where(and(eq(assignments.accountId, t.accountId), eq(assignments.userId, user(4))));
    // A person the identity provider set inactive behind the rules' back: covered by nothing (edge case 9).
    await db.update(directoryUsers).set({ active: false }).where(eq(directoryUsers.id, user(5)));

    const report = await callerAs(h, t.admins.viewer).coverage.report({ profileId: t.profileId });
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]).toMatchObject({ groupId: t.groupIds[0], tier: "pro", members: 3, uncoveredCount: 1 });
    expect(report.groups[0]!.uncovered).toEqual([{ userId: user(2), displayName: "User 00002", email: expect.stringMatching(/^user2-/) }]);
    expect(report.orphans).toEqual([
      { userId: user(3), displayName: "User 00003", email: expect.stringMatching(/^user3-/), tier: "pro_plus", status: "pending", reason: "no-assignment" },
      { userId: user(4), displayName: "User 00004", email: expect.stringMatching(/^user4-/), tier: "pro_plus", status: "active", reason: "no-assignment" },
      { userId: user(5), displayName: "User 00005", email: expect.stringMatching(/^user5-/), tier: "pro_plus", status: "pending", reason: "inactive" },
    ]);
    expect(report.orphanCount).toBe(3);

    const result = await callerAs(h, t.admins.admin).coverage.repair({ profileId: t.profileId });
    expect(result).toEqual({ repaired: 4, uncoveredBefore: 1, orphansBefore: 3 });

    const after = await callerAs(h, t.admins.viewer).coverage.report({ profileId: t.profileId });
    expect(after.groups[0]).toMatchObject({ uncovered: [], uncoveredCount: 0 });
    expect(after.orphans).toEqual([]);
    const subs = await subscriptionsByUser(t);
    expect(subs.get(user(2))).toEqual({ status: "pending", tier: "pro" });
    expect(subs.get(user(3))).toEqual({ status: null, tier: null });
    // Active and uncovered: Canceled with access to the month's end, which is not an orphan.
    expect(subs.get(user(4))).toEqual({ status: "canceled", tier: "pro_plus" });
    expect(subs.get(user(5))).toEqual({ status: null, tier: null });

    const [entry] = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "coverage.repair")))
      .orderBy(desc(auditLog.at));
    expect(entry).toMatchObject({
      profileId: t.profileId,
      actorType: "admin",
      actorLabel: t.admins.admin.email,
      before: { uncovered: 1, orphans: 3 },
      after: { repaired: 4, outcomes: { subscribed: 1, removed: 2, canceled: 1 } },
    });

    // Nothing left to repair.
    expect(await callerAs(h, t.admins.owner).coverage.repair({ profileId: t.profileId })).toEqual({ repaired: 0, uncoveredBefore: 0, orphansBefore: 0 });
  });

  it("a viewer reads the report but cannot repair (FORBIDDEN, nothing written)", async () => {
    await addMembers(h, t, t.groupIds[0]!, [user(6)]);
    const before = await tenantFingerprint(h.database, t.accountId);
    expect((await callerAs(h, t.admins.viewer).coverage.report({ profileId: t.profileId })).groups[0]!.uncoveredCount).toBe(1);
    expect((await rejection(callerAs(h, t.admins.viewer).coverage.repair({ profileId: t.profileId }))).code).toBe("FORBIDDEN");
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
  });

  it("another account's profile is NOT_FOUND, and nothing of it changes", async () => {
    await addMembers(h, other, other.groupIds[0]!, [other.userIds[0]!]);
    await h.database.db.insert(assignments).values({ accountId: other.accountId, profileId: other.profileId, groupId: other.groupIds[0]!, tier: "pro" });
    const before = await tenantFingerprint(h.database, other.accountId);
    expect((await rejection(callerAs(h, t.admins.owner).coverage.report({ profileId: other.profileId }))).code).toBe("NOT_FOUND");
    expect((await rejection(callerAs(h, t.admins.owner).coverage.repair({ profileId: other.profileId }))).code).toBe("NOT_FOUND");
    expect(await tenantFingerprint(h.database, other.accountId)).toEqual(before);
    // Their own owner sees their uncovered member.
    expect((await callerAs(h, other.admins.owner).coverage.report({ profileId: other.profileId })).groups[0]!.uncovered.map((u) => u.userId)).toEqual([other.userIds[0]]);
  });
});
