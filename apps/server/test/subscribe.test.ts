import { describe, expect, it } from "vitest";
import { callerAs, harnessForFile, makeTenant, rejection, writeCounts } from "./harness";

const h = harnessForFile();

describe("subscriptions.subscribe", () => {
  it("subscribes many users at once; they appear Pending at the chosen tier", async () => {
    const t = await makeTenant(h, { users: 5 });
    const api = callerAs(h, t.admins.admin);
    const res = await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds.slice(0, 3), tier: "pro_plus" });
    expect(res.results).toEqual(
      t.userIds.slice(0, 3).map((userId, i) =>
        expect.objectContaining({ userId, name: `User 0000${i}`, outcome: { kind: "subscribed", tier: "pro_plus" }, when: "now", status: "pending", tier: "pro_plus" }),
      ),
    );
    const page = await api.subscriptions.list({ profileId: t.profileId });
    const byId = new Map(page.rows.map((r) => [r.userId, r]));
    for (const id of t.userIds.slice(0, 3)) expect(byId.get(id)).toMatchObject({ status: "pending", tier: "pro_plus", lastActiveAt: null });
    for (const id of t.userIds.slice(3)) expect(byId.get(id)).toMatchObject({ status: null, tier: null });
    // Audited: each assignment, and each subscription it created.
    expect(await writeCounts(h, t.accountId)).toEqual({ subscriptions: 3, assignments: 3, audit: 6 });
  });

  it("a Pending user's tier changes at once when subscribed again at another tier", async () => {
    const t = await makeTenant(h, { users: 1 });
    const api = callerAs(h, t.admins.owner);
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "power" });
    const res = await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
    expect(res.results[0]).toMatchObject({ outcome: { kind: "changed-now", from: "power", to: "pro" }, status: "pending", tier: "pro" });
  });

  it("subscribes 1,000 users in one call", async () => {
    const t = await makeTenant(h, { users: 1000 });
    const api = callerAs(h, t.admins.admin);
    const res = await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
    expect(res.results).toHaveLength(1000);
    expect(await writeCounts(h, t.accountId)).toEqual({ subscriptions: 1000, assignments: 1000, audit: 2000 });
  });

  describe("bad input names the problem and writes nothing", () => {
    it("unknown tier", async () => {
      const t = await makeTenant(h, { users: 2 });
      const api = callerAs(h, t.admins.admin);
      // @ts-expect-error: the point is a tier the type does not allow
      const e = await rejection(api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "platinum" }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toMatch(/^tier: /);
      expect(await writeCounts(h, t.accountId)).toEqual({ subscriptions: 0, assignments: 0, audit: 0 });
    });

    it("unknown user, after known ones", async () => {
      const t = await makeTenant(h, { users: 2 });
      const api = callerAs(h, t.admins.admin);
      const ghost = "00000000-0000-4000-8000-000000000000";
      const e = await rejection(api.subscriptions.subscribe({ profileId: t.profileId, userIds: [...t.userIds, ghost], tier: "pro" }));
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toBe(`userIds.2: no user ${ghost} in this account`);
      expect(await writeCounts(h, t.accountId)).toEqual({ subscriptions: 0, assignments: 0, audit: 0 });
    });

    it("1,001 users", async () => {
      const t = await makeTenant(h, { users: 1 });
      const api = callerAs(h, t.admins.admin);
      const ids = Array.from({ length: 1001 }, () => t.userIds[0]!);
      const e = await rejection(api.subscriptions.subscribe({ profileId: t.profileId, userIds: ids, tier: "pro" }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toBe("userIds: at most 1000 users in one call");
      expect(await writeCounts(h, t.accountId)).toEqual({ subscriptions: 0, assignments: 0, audit: 0 });
    });

    it("a malformed user id", async () => {
      const t = await makeTenant(h, { users: 1 });
      const e = await rejection(callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: ["nope"], tier: "pro" }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toMatch(/^userIds\.0: /);
    });

    it("another account's user", async () => {
      const mine = await makeTenant(h, { users: 1 });
      const theirs = await makeTenant(h, { users: 1 });
      const e = await rejection(
        callerAs(h, mine.admins.admin).subscriptions.subscribe({ profileId: mine.profileId, userIds: [...mine.userIds, ...theirs.userIds], tier: "pro" }),
      );
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toBe(`userIds.1: no user ${theirs.userIds[0]} in this account`);
      expect(await writeCounts(h, mine.accountId)).toEqual({ subscriptions: 0, assignments: 0, audit: 0 });
      expect(await writeCounts(h, theirs.accountId)).toEqual({ subscriptions: 0, assignments: 0, audit: 0 });
    });

    it("another account's profile", async () => {
      const mine = await makeTenant(h, { users: 1 });
      const theirs = await makeTenant(h, { users: 1 });
      const e = await rejection(
        callerAs(h, mine.admins.admin).subscriptions.subscribe({ profileId: theirs.profileId, userIds: theirs.userIds, tier: "pro" }),
      );
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toMatch(/^profileId: /);
      expect(await writeCounts(h, theirs.accountId)).toEqual({ subscriptions: 0, assignments: 0, audit: 0 });
    });
  });

  it("a viewer cannot subscribe", async () => {
    const t = await makeTenant(h, { users: 1 });
    const e = await rejection(callerAs(h, t.admins.viewer).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" }));
    expect(e.code).toBe("FORBIDDEN");
    expect(await writeCounts(h, t.accountId)).toEqual({ subscriptions: 0, assignments: 0, audit: 0 });
  });
});
