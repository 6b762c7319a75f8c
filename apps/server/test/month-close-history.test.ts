import { describe, expect, it } from "vitest";
import { and, desc, eq } from "drizzle-orm";
import { auditLog, subscriptions } from "@seatdesk/db";
import { addMembers, callerAs, harnessForFile, makeTenant, subscribeAt, testNow, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

/**
 * Edge case 13: an ended subscription is history, never deleted. The month close keeps it; checks answer
 * access-ended; the Users tab's ended filter shows it in every later month until the person is subscribed
 * again, while the current list, its filters, the dashboard, the Groups tab and the bill never count it.
 */
const h = harnessForFile({ resetClock: true });

async function storedRow(t: Tenant, userId: string) {
  const [row] = await h.database.db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId), eq(subscriptions.userId, userId)));
  return row ?? null;
}

describe("an ended subscription after the month close (edge case 13)", () => {
  it("is kept as history: access-ended, shown by the ended filter in the next months, counted nowhere as current; subscribing again starts Pending", async () => {
    const t = await makeTenant(h, { users: 3, groups: 1 });
    const [leaver, stayer] = t.userIds as [string, string];
    const group = t.groupIds[0]!;
    await addMembers(h, t, group, [leaver, stayer]);
    const owner = callerAs(h, t.admins.owner);
    const viewer = callerAs(h, t.admins.viewer);
    const tool = callerWithKey(h, (await makeKey(h, t)).key);

    // January: both subscribed on the 8th, the leaver signs in, then is canceled on the 20th (access to the month's end).
    await subscribeAt(h, t, [leaver, stayer], "pro_plus", testNow);
    await tool.usage.activate({ userId: leaver });
    h.clock.set(new Date("2026-01-20T00:00:00Z"));
    await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [leaver] });
    expect((await tool.usage.check({ userId: leaver })).reason).toBe("ok");

    // The clock moves to February: January closes; the row stays, Canceled, with its access end.
    expect(await owner.clock.advance({ nextMonth: true })).toMatchObject({ now: "2026-02-01T00:20:00.000Z", closed: 1, failed: 0 });
    expect(await storedRow(t, leaver)).toMatchObject({ status: "canceled", tier: "pro_plus", accessEndsAt: new Date("2026-02-01T00:00:00Z") });
    const [audit] = await h.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "period.close")))
      .orderBy(desc(auditLog.at));
    expect(audit!.after).toMatchObject({ period: "2026-01", subscriptionsEnded: 1 });

    const ended = { tier: "pro_plus", at: "2026-02-01T00:00:00.000Z" };
    for (const month of ["2026-02", "2026-03"]) {
      // The check knows the history: access-ended, not not-subscribed.
      expect(await tool.usage.check({ userId: leaver }), month).toMatchObject({ allowed: false, reason: "access-ended" });
      expect(await tool.usage.check({ userId: stayer }), month).toMatchObject({ allowed: true, reason: "ok" });

      // The ended filter shows the leaver; the current list shows them as not subscribed, with their history.
      const list = async (filter: { status?: "ended" | "subscribed" | "unsubscribed" | "canceled"; tier?: "pro_plus" }) =>
        (await viewer.subscriptions.list({ profileId: t.profileId, ...filter })).rows.map((r) => r.userId);
      expect(await list({ status: "ended" }), month).toEqual([leaver]);
      expect(await list({ status: "canceled" }), month).toEqual([]);
      expect(await list({ status: "subscribed" }), month).toEqual([stayer]);
      expect(await list({ tier: "pro_plus" }), month).toEqual([stayer]);
      expect(await list({ status: "unsubscribed" }), month).toEqual(t.userIds.filter((id) => id !== stayer));
      const rows = (await viewer.subscriptions.list({ profileId: t.profileId })).rows;
      expect(rows.find((r) => r.userId === leaver), month).toMatchObject({ tier: null, status: null, usage: null, ended });
      expect(rows.find((r) => r.userId === stayer), month).toMatchObject({ tier: "pro_plus", status: "pending", ended: null });
      // The user's page shows the ended subscription.
      expect((await viewer.subscriptions.user({ profileId: t.profileId, userId: leaver })).row, month).toMatchObject({ status: null, ended });

      // Counted nowhere as current: the dashboard, the Groups tab, the running bill.
      const dashboard = await viewer.dashboard.summary({ profileId: t.profileId });
      expect(dashboard.subscriptions, month).toMatchObject({ total: 1, byStatus: { pending: 1, active: 0, canceled: 0 } });
      const groups = await viewer.subscriptions.listGroups({ profileId: t.profileId });
      expect(groups.rows.find((g) => g.groupId === group), month).toMatchObject({ members: 2, subscribedMembers: 1 });
      const estimate = await viewer.billing.estimate({ profileId: t.profileId });
      expect(estimate.lines.map((l) => l.userId), month).toEqual([]);

      if (month === "2026-02") expect(await owner.clock.advance({ nextMonth: true })).toMatchObject({ now: "2026-03-01T00:20:00.000Z", closed: 1, failed: 0 });
    }
    // February's close counted no new ending: the leaver ended once, in January.
    const [februaryClose] = await h.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "period.close")))
      .orderBy(desc(auditLog.at));
    expect(februaryClose!.after).toMatchObject({ period: "2026-02", subscriptionsEnded: 0 });
    // The leaver's page has one "access ended" notice, of the month their access ended in; the stayer none.
    const endedNotices = async (userId: string) =>
      (await viewer.subscriptions.user({ profileId: t.profileId, userId })).notices.filter((n) => n.kind === "access-ended").map((n) => n.period);
    expect(await endedNotices(leaver)).toEqual(["2026-01"]);
    expect(await endedNotices(stayer)).toEqual([]);

    // Subscribed again in March: a new Pending subscription over the history row, gone from the ended filter.
    const again = await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [leaver], tier: "pro" });
    expect(again.targets[0]!.users[0]).toMatchObject({ outcome: { kind: "subscribed", tier: "pro" }, status: "pending", tier: "pro" });
    expect(await storedRow(t, leaver)).toMatchObject({ status: "pending", tier: "pro", accessEndsAt: null, activatedAt: null, lastActiveAt: null });
    expect((await viewer.subscriptions.list({ profileId: t.profileId, status: "ended" })).rows).toEqual([]);
    const row = (await viewer.subscriptions.user({ profileId: t.profileId, userId: leaver })).row;
    expect(row).toMatchObject({ tier: "pro", status: "pending", ended: null });
    expect(await tool.usage.check({ userId: leaver })).toMatchObject({ allowed: true, reason: "ok" });
    expect((await viewer.dashboard.summary({ profileId: t.profileId })).subscriptions).toMatchObject({ total: 2, byStatus: { pending: 2 } });
  });
});
