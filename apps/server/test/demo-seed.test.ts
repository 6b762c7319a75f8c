import { expect, it } from "vitest";
import { and, count, countDistinct, eq, isNotNull, sql } from "drizzle-orm";
import { defaultCatalog } from "@seatdesk/domain";
import { directoryGroups, directoryUsers, groupMembers, subscriptions } from "@seatdesk/db";
import { seedDemo } from "../src/demo/seed";
import { callerAs, harnessForFile, testNow } from "./harness";

const h = harnessForFile();

it("the demo account has 200+ people in 8 overlapping groups, and every status shows", async () => {
  const seeded = await seedDemo(h.database.db, {
    catalog: defaultCatalog,
    now: testNow,
    adminEmail: `demo-${crypto.randomUUID()}@northwind.example`,
    adminPassword: "demo password",
  });
  const db = h.database.db;
  const [users] = await db.select({ n: count() }).from(directoryUsers).where(eq(directoryUsers.accountId, seeded.accountId));
  expect(users!.n).toBeGreaterThanOrEqual(200);
  const [groups] = await db.select({ n: count() }).from(directoryGroups).where(eq(directoryGroups.accountId, seeded.accountId));
  expect(groups!.n).toBe(8);
  // Overlap: some people are in more than one group.
  const multi = await db
    .select({ userId: groupMembers.userId })
    .from(groupMembers)
    .where(eq(groupMembers.accountId, seeded.accountId))
    .groupBy(groupMembers.userId)
    .having(sql`count(*) > 1`);
  expect(multi.length).toBeGreaterThan(5);
  // Realistic e-mails: unique, first.last form.
  const [emails] = await db.select({ n: countDistinct(directoryUsers.email) }).from(directoryUsers).where(eq(directoryUsers.accountId, seeded.accountId));
  expect(emails!.n).toBe(users!.n);

  const byStatus = await db
    .select({ status: subscriptions.status, n: count(), withLastActive: count(subscriptions.lastActiveAt) })
    .from(subscriptions)
    .where(eq(subscriptions.accountId, seeded.accountId))
    .groupBy(subscriptions.status);
  const stat = Object.fromEntries(byStatus.map((r) => [r.status, r]));
  expect(stat.active?.n).toBeGreaterThan(0);
  expect(stat.active?.withLastActive).toBe(stat.active?.n);
  expect(stat.pending?.n).toBeGreaterThan(0);
  expect(stat.pending?.withLastActive).toBe(0);
  expect(stat.canceled?.n).toBeGreaterThan(0);
  const canceled = await db
    .select({ end: subscriptions.accessEndsAt })
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, seeded.accountId), eq(subscriptions.status, "canceled"), isNotNull(subscriptions.accessEndsAt)));
  expect(canceled.map((c) => c.end?.toISOString())).toEqual(canceled.map(() => "2026-02-01T00:00:00.000Z"));

  // And the Users tab shows them to the demo owner.
  const owner = { accountId: seeded.accountId, adminId: "", email: seeded.adminEmail, name: "Demo Owner", role: "owner" as const };
  const page = await callerAs(h, owner).subscriptions.list({ profileId: seeded.profileId });
  expect(page.rows).toHaveLength(50);
  expect(new Set(page.rows.map((r) => r.status))).toEqual(new Set(["active", "pending", null, ...(page.rows.some((r) => r.status === "canceled") ? ["canceled"] : [])]));
});
