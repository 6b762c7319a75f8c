import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, eq, like } from "drizzle-orm";
import { defaultCatalog } from "@seatdesk/domain";
import { auditLog, notices } from "@seatdesk/db";
import { idleSeatsJob } from "../src/services/idle-automation";
import { addMembers, callerAs, makeTenant, openHarness, rejection, testNow, type Harness, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

/**
 * Idle seats (issue 15) over the API: the "idle for N days" view with its count and monthly cost, the settings
 * and their preview, and the job's warn → deactivate → expire sequence, which does what the preview said.
 */
let h: Harness;
let t: Tenant;
let key: string;
const iso = (s: string) => new Date(s);
const job = (now: Date) => idleSeatsJob.run(h.database.db, now, { catalog: defaultCatalog, accountId: t.accountId });
const owner = () => callerAs(h, t.admins.owner);
const viewer = () => callerAs(h, t.admins.viewer);
const user = async (i: number) => (await viewer().subscriptions.user({ profileId: t.profileId, userId: t.userIds[i]! })).row;

beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 10, groups: 1 });
  // testNow is Jan 8, 2026 12:00 UTC. u0-u3 Pro+ of their own, u4 Power of their own and in a Pro group,
  // u5 Pro and never activated, u6 only in the Pro group, u7 Pro and used every week.
  await addMembers(h, t, t.groupIds[0]!, [t.userIds[4]!, t.userIds[6]!]);
  const api = owner();
  await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds.slice(0, 4), tier: "pro_plus" });
  await api.subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[4]!], tier: "power" });
  await api.subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[5]!, t.userIds[7]!], tier: "pro" });
  await api.subscriptions.subscribe({ profileId: t.profileId, groupIds: [t.groupIds[0]!], tier: "pro" });
  key = (await makeKey(h, t)).key;
  for (const i of [0, 1, 2, 3, 4, 6, 7]) await callerWithKey(h, key).usage.activate({ userId: t.userIds[i]! });
}, 60_000);
afterAll(() => h.close());

async function activeAt(when: string, users: number[]) {
  await owner().clock.advance({ to: when });
  for (const i of users) await callerWithKey(h, key).usage.activate({ userId: t.userIds[i]! });
}

const idleActions = async () =>
  (
    await h.database.db
      .select({ actor: auditLog.actorLabel, action: auditLog.action, targetId: auditLog.targetId, at: auditLog.at })
      .from(auditLog)
      .where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.actorType, "system"), like(auditLog.actorLabel, "idle-seat automation%")))
      .orderBy(asc(auditLog.at), asc(auditLog.action))
  ).map((r) => ({ ...r, user: t.userIds.indexOf(r.targetId!) }));

describe("idle seats, from the view to the automation", () => {
  it("settings are off by default; a bad value names its field; the view lists nobody idle yet", async () => {
    const s = await viewer().settings.get({ profileId: t.profileId });
    expect([s.idleWarnDays, s.idleDeactivateDays, s.idleExpireDays]).toEqual([null, null, null]);
    expect((await rejection(owner().settings.update({ profileId: t.profileId, idleWarnDays: 0 }))).message).toMatch(/^idleWarnDays: /);
    expect((await rejection(owner().settings.update({ profileId: t.profileId, idleDeactivateDays: 14 }))).message).toMatch(/^idleDeactivateDays: .*idleWarnDays/);
    expect((await rejection(viewer().settings.previewIdle({ profileId: t.profileId, idleWarnDays: 366, idleDeactivateDays: null, idleExpireDays: null }))).message).toMatch(
      /^idleWarnDays: /,
    );
    expect((await rejection(viewer().idle.list({ profileId: t.profileId, days: 0 }))).message).toMatch(/^days: /);
    const none = await viewer().idle.list({ profileId: t.profileId });
    expect(none).toMatchObject({ days: 30, rows: [], total: { count: 0, monthlyCostCents: 0 }, nextCursor: null });
  });

  it("after 33 days: the view lists every idle seat, longest first, with what each costs a month, in pages", async () => {
    await activeAt("2026-02-06T12:00:00.000Z", [7]); // with the automation off, the steps' job runs change nothing
    await owner().clock.advance({ to: "2026-02-10T12:00:00.000Z" });
    const page1 = await viewer().idle.list({ profileId: t.profileId, days: 30, limit: 4 });
    const page2 = await viewer().idle.list({ profileId: t.profileId, days: 30, limit: 4, cursor: page1.nextCursor });
    expect(page2.nextCursor).toBeNull();
    const rows = [...page1.rows, ...page2.rows];
    expect(rows.map((r) => [t.userIds.indexOf(r.userId), r.tier, r.status, r.idleDays, r.monthlyCostCents, r.lastActiveAt === null])).toEqual([
      // Every seat has been idle since the same instant (subscribed and activated at Jan 8 12:00): then by id.
      ...[
        [0, "pro_plus", "active", 33, 4_000, false],
        [1, "pro_plus", "active", 33, 4_000, false],
        [2, "pro_plus", "active", 33, 4_000, false],
        [3, "pro_plus", "active", 33, 4_000, false],
        [4, "power", "active", 33, 20_000, false],
        [5, "pro", "pending", 33, 0, true],
        [6, "pro", "active", 33, 2_000, false],
      ].sort((a, b) => t.userIds[a[0] as number]!.localeCompare(t.userIds[b[0] as number]!)),
    ]);
    expect(page1.total).toEqual({ count: 7, monthlyCostCents: 38_000 });
    expect(page2.total).toEqual(page1.total);
    // u7 was active 4 days ago: idle for 4 days, not 30.
    const recent = await viewer().idle.list({ profileId: t.profileId, days: 4 });
    expect(recent.total).toEqual({ count: 8, monthlyCostCents: 40_000 });
    expect((await rejection(viewer().idle.list({ profileId: t.profileId, cursor: "nope" }))).message).toMatch(/^cursor: /);
  });

  it("the preview says what saving would do; saving is audited; the job then warns exactly those seats, once", async () => {
    const setting = { idleWarnDays: 30, idleDeactivateDays: 14, idleExpireDays: 45 };
    const preview = await viewer().settings.previewIdle({ profileId: t.profileId, ...setting });
    // u0-u3 save Pro+ each, u4 keeps the group's Pro (saves Power - Pro), u6 has only the group: nothing to remove.
    expect(preview).toEqual({
      profileId: t.profileId,
      warn: { count: 6, savingCents: 4 * 4_000 + 18_000 },
      deactivate: { count: 0, savingCents: 0 },
      expire: { count: 0 },
      deactivateOn: "2026-02-24T12:00:00.000Z",
    });
    const saved = await owner().settings.update({ profileId: t.profileId, ...setting });
    expect(saved.changed.sort()).toEqual(["idleDeactivateDays", "idleExpireDays", "idleWarnDays"]);
    const [entry] = await h.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "settings.update")));
    expect(entry).toMatchObject({ actorLabel: t.admins.owner.email, before: { idleWarnDays: null, idleDeactivateDays: null, idleExpireDays: null }, after: setting });

    const now = h.clock.now();
    expect(await job(now)).toEqual({ profiles: 1, warned: 6, deactivated: 0, expired: 0, skipped: 0, savingCents: 0 });
    expect(await job(now)).toEqual({ profiles: 1, warned: 0, deactivated: 0, expired: 0, skipped: 0, savingCents: 0 });
    const warnings = await h.database.db
      .select({ userId: notices.userId, period: notices.period, detail: notices.detail })
      .from(notices)
      .where(and(eq(notices.accountId, t.accountId), eq(notices.kind, "idle-warning")));
    expect(warnings.map((w) => t.userIds.indexOf(w.userId!)).sort()).toEqual([0, 1, 2, 3, 4, 6]);
    expect(warnings[0]).toMatchObject({ period: "2026-02", detail: "Idle for 33 days. Their plan will be deactivated on 2026-02-24 (UTC) if they stay idle." });
    const notice = (await viewer().subscriptions.user({ profileId: t.profileId, userId: t.userIds[0]! })).notices;
    expect(notice.map((n) => n.kind)).toContain("idle-warning");
    const actions = await idleActions();
    expect(actions.map((a) => [a.action, a.actor]).every(([a, l]) => a === "idle.warn" && l === "idle-seat automation (warn after 30 days idle)")).toBe(true);
    expect(actions.map((a) => a.user).sort()).toEqual([0, 1, 2, 3, 4, 6]);
  });

  it("a seat used after its warning is not acted on; a Pending seat expires after 45 days; warned seats are deactivated 14 days on, a group keeping its tier", async () => {
    await activeAt("2026-02-12T09:00:00.000Z", [1]);
    // The job runs at the move's end: 46 days and 23 hours after u5 was subscribed (expiry at 45), nothing else is due.
    await owner().clock.advance({ to: "2026-02-24T11:00:00.000Z" });
    expect(await user(5)).toMatchObject({ status: null, tier: null, source: { direct: null } });
    const expiry = (await idleActions()).filter((a) => a.action !== "idle.warn");
    expect(expiry.map((a) => [a.action, a.user, a.actor])).toEqual([
      ["assignment.unsubscribe", 5, "idle-seat automation (Pending seats expire after 45 days)"],
      ["subscription.changed", 5, "idle-seat automation (Pending seats expire after 45 days)"],
    ]);

    h.clock.set(iso("2026-02-24T12:00:00.000Z"));
    const preview = await viewer().settings.previewIdle({ profileId: t.profileId, idleWarnDays: 30, idleDeactivateDays: 14, idleExpireDays: 45 });
    expect(preview).toMatchObject({ warn: { count: 0 }, deactivate: { count: 4, savingCents: 3 * 4_000 + 18_000 }, expire: { count: 0 } });
    const done = await job(h.clock.now());
    expect(done).toEqual({ profiles: 1, warned: 0, deactivated: preview.deactivate.count, expired: 0, skipped: 0, savingCents: preview.deactivate.savingCents });
    expect(await job(h.clock.now())).toMatchObject({ warned: 0, deactivated: 0, expired: 0 });

    for (const i of [0, 2, 3]) expect(await user(i)).toMatchObject({ status: "canceled", accessEndsAt: "2026-03-01T00:00:00.000Z", source: { direct: null } });
    // Edge case 2: u4 keeps the group's Pro from the 1st; u6 (the group's only) and u1 (used after the warning) are untouched.
    expect(await user(4)).toMatchObject({ status: "active", tier: "power", scheduledTier: "pro", source: { direct: null } });
    expect(await user(6)).toMatchObject({ status: "active", tier: "pro", scheduledTier: null });
    expect(await user(1)).toMatchObject({ status: "active", tier: "pro_plus", source: { direct: "pro_plus" } });
    const deactivations = (await idleActions()).filter((a) => a.actor === "idle-seat automation (deactivate 14 days after the warning)");
    expect(deactivations.filter((a) => a.action === "assignment.unsubscribe").map((a) => a.user).sort()).toEqual([0, 2, 3, 4]);
    expect(deactivations.filter((a) => a.action === "subscription.changed").map((a) => a.user).sort()).toEqual([0, 2, 3, 4]);
  });

  it("a viewer cannot save the setting; two runs at once act once", async () => {
    expect((await rejection(viewer().settings.update({ profileId: t.profileId, idleWarnDays: 5 }))).code).toBe("FORBIDDEN");
    await owner().settings.update({ profileId: t.profileId, idleWarnDays: 5, idleDeactivateDays: null, idleExpireDays: null });
    // u7 (active Feb 6) and u1 (active Feb 12) are now idle past 5 days and not warned since.
    const now = iso("2026-03-02T12:00:00.000Z");
    h.clock.set(now);
    expect((await viewer().settings.previewIdle({ profileId: t.profileId, idleWarnDays: 5, idleDeactivateDays: null, idleExpireDays: null })).warn).toEqual({ count: 2, savingCents: 0 });
    const [a, b] = await Promise.all([job(now), job(now)]);
    expect((a.warned ?? 0) + (b.warned ?? 0)).toBe(2);
    const warned = await h.database.db
      .select({ userId: notices.userId })
      .from(notices)
      .where(and(eq(notices.accountId, t.accountId), eq(notices.kind, "idle-warning"), eq(notices.period, "2026-03")));
    expect(warned.map((w) => t.userIds.indexOf(w.userId!)).sort()).toEqual([1, 7]);
  });
});
