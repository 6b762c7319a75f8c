import { describe, expect, it } from "vitest";
import { and, eq, inArray } from "drizzle-orm";
import { inForce, type Subscription } from "@seatdesk/domain";
import { subscriptionMonths, subscriptions } from "@seatdesk/db";
import { toDomain } from "../src/services/reconcile";
import { tenantFingerprint } from "./fingerprint";
import { addMembers, callerAs, harnessForFile, makeTenant, testNow, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

const h = harnessForFile();

const feb1 = "2026-02-01T00:00:00.000Z";

/** Marks users Active since December (as if they had used the tool then), so January is a month 2+. */
async function activateSinceDecember(t: Tenant, userIds: string[]) {
  await h.database.db
    .update(subscriptions)
    .set({ status: "active", activatedAt: new Date(Date.UTC(2025, 11, 3)), lastActiveAt: new Date(Date.UTC(2026, 0, 7)) })
    .where(and(eq(subscriptions.accountId, t.accountId), inArray(subscriptions.userId, userIds)));
}

describe("users and groups, many at once", () => {
  it("subscribing a group subscribes each member (Pending) and answers per target", async () => {
    const t = await makeTenant(h, { users: 4, groups: 1 });
    await addMembers(h, t, t.groupIds[0]!, t.userIds.slice(0, 3));
    const api = callerAs(h, t.admins.admin);
    const res = await api.subscriptions.subscribe({ profileId: t.profileId, groupIds: t.groupIds, userIds: [t.userIds[3]!], tier: "pro" });
    expect(res.targets.map((x) => [x.type, x.users.length])).toEqual([["user", 1], ["group", 3]]);
    expect(res.targets[1]!.users.every((u) => u.status === "pending" && u.tier === "pro" && u.when === "now")).toBe(true);
    const groups = await api.subscriptions.listGroups({ profileId: t.profileId });
    expect(groups.rows).toEqual([{ groupId: t.groupIds[0], displayName: "Group 0", tier: "pro", members: 3, subscribedMembers: 3 }]);
  });

  it("change plan: an Active user's upgrade is now, a downgrade waits for the 1st and shows as scheduled", async () => {
    const t = await makeTenant(h, { users: 2 });
    const api = callerAs(h, t.admins.admin);
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro_plus" });
    await activateSinceDecember(t, t.userIds);
    const up = await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: "power" });
    expect(up.results[0]).toMatchObject({ outcome: { kind: "upgraded", from: "pro_plus", to: "power" }, when: "now", tier: "power", status: "active" });
    const down = await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [t.userIds[1]!], tier: "pro" });
    expect(down.results[0]).toMatchObject({ outcome: { kind: "downgrade-scheduled", at: feb1 }, when: "next-month", at: feb1, tier: "pro_plus", scheduledTier: "pro" });
    const rows = (await api.subscriptions.list({ profileId: t.profileId })).rows;
    expect(rows.map((r) => [r.tier, r.scheduledTier, r.scheduledAt, r.usage?.allowanceCc])).toEqual([
      ["power", null, null, 1_000_000],
      ["pro_plus", "pro", feb1, 200_000],
    ]);
    // The upgrade re-rated the month: its ledger's fee tier is Power.
    const [ledger] = await h.database.db.select().from(subscriptionMonths).where(and(eq(subscriptionMonths.accountId, t.accountId), eq(subscriptionMonths.userId, t.userIds[0]!)));
    expect(ledger).toMatchObject({ period: "2026-01", feeTier: "power", activeAtStart: true });
  });

  it("change plan of a group without a plan in this profile is refused, and nothing is written", async () => {
    const t = await makeTenant(h, { users: 1, groups: 1 });
    const before = await tenantFingerprint(h.database, t.accountId);
    await expect(callerAs(h, t.admins.admin).subscriptions.changePlan({ profileId: t.profileId, groupIds: t.groupIds, tier: "power" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "groupIds.0: Group 0 has no plan in this profile; subscribe it first",
    });
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
  });
});

describe("unsubscribe (Deactivate plan)", () => {
  it("edge case 2: removes only the user's own plan; a group that still covers them keeps them subscribed, a lower tier as a downgrade on the 1st", async () => {
    const t = await makeTenant(h, { users: 3, groups: 1 });
    await addMembers(h, t, t.groupIds[0]!, [t.userIds[0]!]);
    const api = callerAs(h, t.admins.admin);
    await api.subscriptions.subscribe({ profileId: t.profileId, groupIds: t.groupIds, tier: "pro" });
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "power" });
    await activateSinceDecember(t, t.userIds.slice(0, 2));
    const res = await api.subscriptions.unsubscribe({ profileId: t.profileId, userIds: t.userIds });
    expect(res.results.map((r) => [r.outcome.kind, r.when, r.at, r.status, r.coveredBy])).toEqual([
      ["downgrade-scheduled", "next-month", feb1, "active", [{ groupId: t.groupIds[0], tier: "pro" }]],
      ["canceled", "next-month", feb1, "canceled", []],
      ["removed", "now", null, null, []],
    ]);
  });

  it("an unknown or another account's user writes nothing", async () => {
    const t = await makeTenant(h, { users: 1 });
    const other = await makeTenant(h, { users: 1 });
    await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
    const before = await tenantFingerprint(h.database, t.accountId);
    await expect(
      callerAs(h, t.admins.admin).subscriptions.unsubscribe({ profileId: t.profileId, userIds: [t.userIds[0]!, other.userIds[0]!] }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: `userIds.1: no user ${other.userIds[0]} in this account` });
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
  });
});

describe("previewChange", () => {
  it("says what would happen and the money, and writes nothing", async () => {
    const t = await makeTenant(h, { users: 3, groups: 1 });
    await addMembers(h, t, t.groupIds[0]!, t.userIds.slice(0, 2));
    const api = callerAs(h, t.admins.admin);
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds.slice(0, 2), tier: "pro" });
    await activateSinceDecember(t, [t.userIds[0]!]);
    const before = await tenantFingerprint(h.database, t.accountId);
    const up = await api.subscriptions.previewChange({ profileId: t.profileId, groupIds: t.groupIds, tier: "power" });
    expect(up.users.map((u) => [u.userId, u.outcome.kind, u.when, u.thisMonthEstimateCents.delta, u.nextMonthCents])).toEqual([
      [t.userIds[0], "upgraded", "now", 18_000, 20_000], // Active since December: +$180 this month
      [t.userIds[1], "changed-now", "now", 0, 20_000], // Pending costs nothing yet
    ]);
    expect(up.thisMonthDeltaEstimateCents).toBe(18_000);
    const off = await api.subscriptions.previewChange({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: null });
    expect(off.users[0]).toMatchObject({ outcome: { kind: "canceled", accessEndsAt: feb1 }, when: "next-month", effectiveAt: feb1, thisMonthEstimateCents: { delta: 0 }, nextMonthCents: 0 });
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
  });
});

describe("previewChange of a subscribe (the Subscribe dialog)", () => {
  // previewChange already takes users and groups and a tier; these cases hold it to what subscribing then bills.
  for (const firstMonth of ["full", "prorated"] as const) {
    it(`firstMonth ${firstMonth}: a group subscribed mid-month, members upgraded at once: the preview's money is the estimate's change`, async () => {
      const t = await makeTenant(h, { users: 4, groups: 1 });
      const [u0, u1, u2, u3] = t.userIds as [string, string, string, string];
      const owner = callerAs(h, t.admins.owner);
      const viewer = callerAs(h, t.admins.viewer);
      await owner.settings.update({ profileId: t.profileId, firstMonth });
      await owner.directory.addMembers({ groupId: t.groupIds[0]!, userIds: [u0, u1, u2] });
      await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u0, u3], tier: "pro" });
      await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u1], tier: "pro_plus" });
      const usage = callerWithKey(h, (await makeKey(h, t)).key);
      for (const u of [u0, u1, u3]) await usage.usage.activate({ userId: u });

      const mid = new Date(Date.UTC(2026, 0, 15, 9));
      const clock = h.clock.now();
      h.clock.set(mid);
      try {
        const estimateBefore = await viewer.billing.estimate({ profileId: t.profileId });
        const fingerprint = await tenantFingerprint(h.database, t.accountId);
        const preview = await viewer.subscriptions.previewChange({ profileId: t.profileId, groupIds: t.groupIds, tier: "power" });
        expect(await tenantFingerprint(h.database, t.accountId)).toEqual(fingerprint);
        expect(preview.users.map((u) => [u.userId, u.outcome.kind, u.when])).toEqual([
          [u0, "upgraded", "now"],
          [u1, "upgraded", "now"],
          [u2, "subscribed", "now"],
        ]);
        expect(preview.nextMonthCents).toBe(3 * 20_000);
        if (firstMonth === "full") {
          // Activated on the 8th, full first month: Pro → Power +$180, Pro+ → Power +$160, a new Pending member $0.
          expect(preview.users.map((u) => u.thisMonthEstimateCents)).toEqual([
            { before: 2_000, after: 20_000, delta: 18_000 },
            { before: 4_000, after: 20_000, delta: 16_000 },
            { before: 0, after: 0, delta: 0 },
          ]);
          expect(preview.thisMonthDeltaEstimateCents).toBe(34_000);
        } else {
          expect(preview.thisMonthDeltaEstimateCents).toBeGreaterThan(0);
          expect(preview.thisMonthDeltaEstimateCents).toBeLessThan(34_000);
        }

        const done = await owner.subscriptions.subscribe({ profileId: t.profileId, groupIds: t.groupIds, tier: "power" });
        expect(done.results.map((r) => [r.userId, r.outcome])).toEqual(preview.users.map((u) => [u.userId, u.outcome]));
        const estimateAfter = await viewer.billing.estimate({ profileId: t.profileId });
        expect(estimateAfter.feesCents - estimateBefore.feesCents).toBe(preview.thisMonthDeltaEstimateCents);
        const fee = (e: typeof estimateBefore, userId: string) => e.lines.find((l) => l.userId === userId)?.feeCents ?? 0;
        for (const u of preview.users) {
          expect({ userId: u.userId, before: fee(estimateBefore, u.userId), after: fee(estimateAfter, u.userId) }).toEqual({
            userId: u.userId,
            before: u.thisMonthEstimateCents.before,
            after: u.thisMonthEstimateCents.after,
          });
        }
        // u3 is outside the group: untouched by either.
        expect(fee(estimateAfter, u3)).toBe(fee(estimateBefore, u3));
      } finally {
        h.clock.set(clock);
      }
    });
  }
});

describe("Users tab rows", () => {
  it("say where the tier comes from and this month's credits", async () => {
    const t = await makeTenant(h, { users: 2, groups: 2 });
    await addMembers(h, t, t.groupIds[0]!, t.userIds);
    await addMembers(h, t, t.groupIds[1]!, [t.userIds[0]!]);
    const api = callerAs(h, t.admins.admin);
    await api.subscriptions.subscribe({ profileId: t.profileId, groupIds: [t.groupIds[0]!], tier: "pro" });
    await api.subscriptions.subscribe({ profileId: t.profileId, groupIds: [t.groupIds[1]!], tier: "pro_plus" });
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: "pro" });
    await activateSinceDecember(t, [t.userIds[0]!]);
    await h.database.db.insert(subscriptionMonths).values({ accountId: t.accountId, profileId: t.profileId, period: "2026-01", userId: t.userIds[0]!, feeTier: "pro_plus", activeAtStart: true, includedCc: 200_000, overageCc: 1_500, unbilledCc: 25 });
    const [first, second] = (await api.subscriptions.list({ profileId: t.profileId })).rows;
    expect(first).toMatchObject({
      tier: "pro_plus",
      source: { direct: "pro", groups: expect.arrayContaining([{ groupId: t.groupIds[0], displayName: "Group 0", tier: "pro" }, { groupId: t.groupIds[1], displayName: "Group 1", tier: "pro_plus" }]) },
      usage: { allowanceCc: 200_000, usedCc: 201_525, includedCc: 200_000, overageCc: 1_500, unbilledCc: 25 },
    });
    expect(second).toMatchObject({ status: "pending", source: { direct: null, groups: [{ groupId: t.groupIds[0], displayName: "Group 0", tier: "pro" }] }, usage: { allowanceCc: 100_000, usedCc: 0 } });
  });

  it("status and tier filters say what the domain's inForce says, on the 1st, before any month close has run", async () => {
    const t = await makeTenant(h, { users: 6 });
    const api = callerAs(h, t.admins.admin);
    const [a, b, c, d, e] = t.userIds as [string, string, string, string, string, string];
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: [a, b, c, d, e], tier: "pro_plus" });
    await activateSinceDecember(t, [a, b, c]);
    await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [b], tier: "pro" }); // downgrade on Feb 1
    await api.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [c] }); // access until Feb 1
    const statuses = ["active", "pending", "canceled", "ended", "subscribed", "unsubscribed"] as const;
    const expectFiltersMatchDomain = async (now: Date) => {
      h.clock.set(now);
      const rows = await h.database.db.select().from(subscriptions).where(eq(subscriptions.accountId, t.accountId));
      const byUser = new Map(rows.map((r) => [r.userId, toDomain(r)]));
      const domainStatus = (id: string) => {
        const stored = byUser.get(id) ?? null;
        const cur: Subscription | null = stored ? inForce(stored, now) : null;
        return { stored, cur };
      };
      for (const status of statuses) {
        const got = (await api.subscriptions.list({ profileId: t.profileId, status })).rows.map((r) => r.userId).sort();
        const want = t.userIds
          .filter((id) => {
            const { stored, cur } = domainStatus(id);
            if (status === "subscribed") return cur !== null;
            if (status === "unsubscribed") return cur === null;
            if (status === "ended") return stored?.status === "canceled" && cur === null;
            return cur?.status === status;
          })
          .sort();
        expect(got, `${status} at ${now.toISOString()}`).toEqual(want);
      }
      for (const tier of ["pro", "pro_plus", "power"] as const) {
        const got = (await api.subscriptions.list({ profileId: t.profileId, tier })).rows.map((r) => r.userId).sort();
        expect(got, `${tier} at ${now.toISOString()}`).toEqual(t.userIds.filter((id) => domainStatus(id).cur?.tier === tier).sort());
      }
    };
    try {
      await expectFiltersMatchDomain(testNow);
      await expectFiltersMatchDomain(new Date(Date.UTC(2026, 1, 1))); // 00:00 on the 1st: b is Pro, c has ended
      const feb = (await api.subscriptions.list({ profileId: t.profileId })).rows;
      expect(feb.find((r) => r.userId === b)).toMatchObject({ tier: "pro", scheduledTier: null });
      expect(feb.find((r) => r.userId === c)).toMatchObject({ status: null, tier: null });
    } finally {
      h.clock.set(testNow);
    }
  });
});
