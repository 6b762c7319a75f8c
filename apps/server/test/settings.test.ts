import { describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { auditLog, capOverrides, directoryUsers, overageSwitches, profiles } from "@seatdesk/db";
import { addMembers, callerAs, harnessForFile, makeTenant, rejection, type Tenant } from "./harness";

const h = harnessForFile({ resetClock: true });

/** Moves the clock a second on, so audit entries written one after the other sort in that order. */
const tick = () => h.clock.set(new Date(h.clock.now().getTime() + 1000));

async function auditOf(t: Tenant) {
  return h.database.db.select().from(auditLog).where(eq(auditLog.accountId, t.accountId)).orderBy(asc(auditLog.at), asc(auditLog.id));
}

/** Everything a settings change may write, to show that a refused one wrote nothing. */
async function settingsState(t: Tenant) {
  const db = h.database.db;
  return {
    profile: await db.select().from(profiles).where(eq(profiles.accountId, t.accountId)),
    caps: await db.select().from(capOverrides).where(eq(capOverrides.accountId, t.accountId)),
    switches: await db.select().from(overageSwitches).where(eq(overageSwitches.accountId, t.accountId)),
    audit: await auditOf(t),
  };
}

const ghost = "00000000-0000-4000-8000-000000000000";

describe("settings.get and settings.update", () => {
  it("a new profile has the defaults of DESIGN.md §2: overages off, end-of-month access, full first month, no caps, no budget", async () => {
    const t = await makeTenant(h, { users: 1 });
    expect(await callerAs(h, t.admins.viewer).settings.get({ profileId: t.profileId })).toEqual({
      profileId: t.profileId,
      overagesEnabled: false,
      cancelAccess: "end-of-month",
      firstMonth: "full",
      defaultCapCredits: null,
      budgetCents: null,
      idleWarnDays: null,
      idleDeactivateDays: null,
      idleExpireDays: null,
      userOverrides: [],
      groupOverrides: [],
    });
  });

  it("round trip: every setting changes at once, caps stored in centicredits, ONE audit entry with the changed fields before and after", async () => {
    const t = await makeTenant(h, { users: 1 });
    const api = callerAs(h, t.admins.admin);
    const res = await api.settings.update({
      profileId: t.profileId,
      overagesEnabled: true,
      cancelAccess: "immediate",
      firstMonth: "prorated",
      defaultCapCredits: 123.45,
      budgetCents: 250_00,
    });
    tick();
    expect(res.changed).toEqual(["overagesEnabled", "cancelAccess", "firstMonth", "defaultCapCredits", "budgetCents"]);
    const after = { overagesEnabled: true, cancelAccess: "immediate", firstMonth: "prorated", defaultCapCredits: 123.45, budgetCents: 250_00 };
    expect(await api.settings.get({ profileId: t.profileId })).toMatchObject(after);
    const [row] = await h.database.db.select().from(profiles).where(eq(profiles.id, t.profileId));
    expect(row).toMatchObject({ defaultCapCc: 12345, budgetCents: 25000 });

    const audit = await auditOf(t);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "settings.update",
      profileId: t.profileId,
      targetType: "profile",
      targetId: t.profileId,
      actorId: t.admins.admin.adminId,
      before: { overagesEnabled: false, cancelAccess: "end-of-month", firstMonth: "full", defaultCapCredits: null, budgetCents: null },
      after,
    });

    // Only what changed is recorded; a cap of 0 is a cap; null removes it.
    await api.settings.update({ profileId: t.profileId, overagesEnabled: true, defaultCapCredits: 0 });
    tick();
    await api.settings.update({ profileId: t.profileId, defaultCapCredits: null, budgetCents: null });
    tick();
    const later = await auditOf(t);
    expect(later.map((a) => [a.before, a.after])).toEqual([
      [audit[0]!.before, after],
      [{ defaultCapCredits: 123.45 }, { defaultCapCredits: 0 }],
      [{ defaultCapCredits: 0, budgetCents: 250_00 }, { defaultCapCredits: null, budgetCents: null }],
    ]);
    expect(await api.settings.get({ profileId: t.profileId })).toMatchObject({ defaultCapCredits: null, budgetCents: null });
  });

  it("the same values again change nothing and write no audit entry", async () => {
    const t = await makeTenant(h, { users: 1 });
    const res = await callerAs(h, t.admins.owner).settings.update({ profileId: t.profileId, overagesEnabled: false, firstMonth: "full" });
    expect(res.changed).toEqual([]);
    expect(await auditOf(t)).toEqual([]);
  });

  it("bad input names the field and writes nothing", async () => {
    const t = await makeTenant(h, { users: 1 });
    const api = callerAs(h, t.admins.owner);
    const before = await settingsState(t);
    const p = t.profileId;
    const cases: [Parameters<typeof api.settings.update>[0], string][] = [
      [{ profileId: p }, "input: nothing to change; give at least one of overagesEnabled, cancelAccess, firstMonth, defaultCapCredits, budgetCents"],
      [{ profileId: p, defaultCapCredits: 1.234 }, "defaultCapCredits: at most two decimals (0.01 credit)"],
      [{ profileId: p, defaultCapCredits: -1 }, "defaultCapCredits: must be 0 or more"],
      [{ profileId: p, defaultCapCredits: 2_000_000 }, 'defaultCapCredits: at most 1,000,000 credits; use "unlimited" for no cap'],
      [{ profileId: p, budgetCents: 10.5 }, "budgetCents: a whole number of cents"],
      [{ profileId: p, budgetCents: -100 }, "budgetCents: must be 0 or more"],
      // @ts-expect-error: the point is a mode the type does not allow
      [{ profileId: p, cancelAccess: "next-week" }, "cancelAccess: "],
      // @ts-expect-error: the point is a value the type does not allow
      [{ profileId: p, overagesEnabled: "yes" }, "overagesEnabled: "],
    ];
    for (const [input, message] of cases) {
      const e = await rejection(api.settings.update(input));
      expect(e.code, message).toBe("BAD_REQUEST");
      expect(e.message.startsWith(message), `${e.message} / ${message}`).toBe(true);
    }
    expect(await settingsState(t)).toEqual(before);
  });
});

describe("user and group overrides", () => {
  it("a user's cap and overage switch: set, listed with the user's name, partly and wholly removed; one audit entry per change", async () => {
    const t = await makeTenant(h, { users: 3 });
    const api = callerAs(h, t.admins.admin);
    const userId = t.userIds[1]!;
    const [user] = await h.database.db.select().from(directoryUsers).where(eq(directoryUsers.id, userId));

    expect(await api.settings.setUserOverride({ profileId: t.profileId, userId, cap: 25.5, overage: "off" })).toEqual({
      profileId: t.profileId,
      userId,
      cap: 25.5,
      overage: "off",
    });
    tick();
    expect((await api.settings.get({ profileId: t.profileId })).userOverrides).toEqual([
      { userId, displayName: user!.displayName, email: user!.email, cap: 25.5, overage: "off" },
    ]);
    const [capRow] = await h.database.db.select().from(capOverrides).where(eq(capOverrides.accountId, t.accountId));
    expect(capRow).toMatchObject({ profileId: t.profileId, userId, groupId: null, capCc: 2550 });

    // Only the switch: the cap stays. Then "unlimited", then removal of the cap: the switch stays.
    await api.settings.setUserOverride({ profileId: t.profileId, userId, overage: "on" });
    tick();
    await api.settings.setUserOverride({ profileId: t.profileId, userId, cap: "unlimited" });
    tick();
    expect((await api.settings.get({ profileId: t.profileId })).userOverrides).toMatchObject([{ userId, cap: "unlimited", overage: "on" }]);
    const [unlimitedRow] = await h.database.db.select().from(capOverrides).where(eq(capOverrides.accountId, t.accountId));
    expect(unlimitedRow!.capCc).toBeNull();
    await api.settings.setUserOverride({ profileId: t.profileId, userId, cap: null });
    tick();
    expect((await api.settings.get({ profileId: t.profileId })).userOverrides).toMatchObject([{ userId, cap: null, overage: "on" }]);
    await api.settings.setUserOverride({ profileId: t.profileId, userId, overage: "inherit" });
    tick();
    expect((await api.settings.get({ profileId: t.profileId })).userOverrides).toEqual([]);
    const state = await settingsState(t);
    expect([state.caps, state.switches]).toEqual([[], []]);

    const audit = await auditOf(t);
    expect(audit.map((a) => [a.action, a.targetType, a.targetId])).toEqual(Array(5).fill(["settings.setUserOverride", "user", userId]));
    expect(audit.map((a) => [a.before, a.after])).toEqual([
      [{ cap: null, overage: "inherit" }, { cap: 25.5, overage: "off" }],
      [{ cap: 25.5, overage: "off" }, { cap: 25.5, overage: "on" }],
      [{ cap: 25.5, overage: "on" }, { cap: "unlimited", overage: "on" }],
      [{ cap: "unlimited", overage: "on" }, { cap: null, overage: "on" }],
      [{ cap: null, overage: "on" }, { cap: null, overage: "inherit" }],
    ]);
  });

  it("a group's cap: set, listed with the group's name, replaced and removed; audited", async () => {
    const t = await makeTenant(h, { users: 1, groups: 2 });
    const api = callerAs(h, t.admins.owner);
    const [g0, g1] = t.groupIds as [string, string];
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: g1, cap: 0 });
    tick();
    expect(await api.settings.setGroupOverride({ profileId: t.profileId, groupId: g0, cap: 40 })).toEqual({ profileId: t.profileId, groupId: g0, cap: 40 });
    tick();
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: g0, cap: "unlimited" });
    tick();
    expect((await api.settings.get({ profileId: t.profileId })).groupOverrides).toEqual([
      { groupId: g0, displayName: "Group 0", cap: "unlimited" },
      { groupId: g1, displayName: "Group 1", cap: 0 },
    ]);
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: g0, cap: null });
    tick();
    expect((await api.settings.get({ profileId: t.profileId })).groupOverrides).toEqual([{ groupId: g1, displayName: "Group 1", cap: 0 }]);
    // Removing what is not there changes nothing and records nothing.
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: g0, cap: null });
    tick();

    const audit = await auditOf(t);
    expect(audit.map((a) => [a.action, a.targetId, a.before, a.after])).toEqual([
      ["settings.setGroupOverride", g1, { cap: null }, { cap: 0 }],
      ["settings.setGroupOverride", g0, { cap: null }, { cap: 40 }],
      ["settings.setGroupOverride", g0, { cap: 40 }, { cap: "unlimited" }],
      ["settings.setGroupOverride", g0, { cap: "unlimited" }, { cap: null }],
    ]);
  });

  it("an unknown user or group, or one of another account, inside one's own profile: NOT_FOUND naming the field, nothing written", async () => {
    const t = await makeTenant(h, { users: 1, groups: 1 });
    const other = await makeTenant(h, { users: 1, groups: 1 });
    const api = callerAs(h, t.admins.owner);
    const before = await settingsState(t);
    const theirsBefore = await settingsState(other);
    for (const userId of [ghost, other.userIds[0]!]) {
      const e = await rejection(api.settings.setUserOverride({ profileId: t.profileId, userId, cap: 5 }));
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toBe(`userId: no user ${userId} in this account`);
      const q = await rejection(api.settings.effectiveLimits({ profileId: t.profileId, userId }));
      expect(q.code).toBe("NOT_FOUND");
      expect(q.message).toBe(`userId: no user ${userId} in this account`);
    }
    for (const groupId of [ghost, other.groupIds[0]!]) {
      const e = await rejection(api.settings.setGroupOverride({ profileId: t.profileId, groupId, cap: 5 }));
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toBe(`groupId: no group ${groupId} in this account`);
    }
    expect(await settingsState(t)).toEqual(before);
    expect(await settingsState(other)).toEqual(theirsBefore);
  });

  it("a user the identity provider deleted takes no override", async () => {
    const t = await makeTenant(h, { users: 1 });
    await h.database.db.update(directoryUsers).set({ deletedAt: h.clock.now() }).where(and(eq(directoryUsers.accountId, t.accountId), eq(directoryUsers.id, t.userIds[0]!)));
    const e = await rejection(callerAs(h, t.admins.owner).settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[0]!, overage: "on" }));
    expect(e.code).toBe("NOT_FOUND");
  });

  it("bad override input names the field and writes nothing", async () => {
    const t = await makeTenant(h, { users: 1, groups: 1 });
    const api = callerAs(h, t.admins.owner);
    const before = await settingsState(t);
    const p = t.profileId;
    const u = t.userIds[0]!;
    const g = t.groupIds[0]!;
    // Each call starts only when its turn comes, so no rejection waits unhandled.
    const attempts: [() => Promise<unknown>, string][] = [
      [() => api.settings.setUserOverride({ profileId: p, userId: u }), "input: nothing to change; give cap, overage or both"],
      [() => api.settings.setUserOverride({ profileId: p, userId: u, cap: 0.001 }), "cap: at most two decimals (0.01 credit)"],
      [() => api.settings.setUserOverride({ profileId: p, userId: u, cap: -5 }), "cap: must be 0 or more"],
      // @ts-expect-error: the point is a cap the type does not allow
      [() => api.settings.setUserOverride({ profileId: p, userId: u, cap: "lots" }), 'cap: a number of credits, "unlimited", or null to remove the override'],
      // @ts-expect-error: the point is a switch the type does not allow
      [() => api.settings.setUserOverride({ profileId: p, userId: u, overage: "sometimes" }), "overage: "],
      [() => api.settings.setUserOverride({ profileId: p, userId: "x", cap: 1 }), "userId: "],
      [() => api.settings.setGroupOverride({ profileId: p, groupId: g, cap: 1.005 }), "cap: at most two decimals (0.01 credit)"],
      // @ts-expect-error: cap is required for a group (null removes it)
      [() => api.settings.setGroupOverride({ profileId: p, groupId: g }), 'cap: a number of credits, "unlimited", or null to remove the override'],
    ];
    for (const [call, message] of attempts) {
      const e = await rejection(call());
      expect(e.code, message).toBe("BAD_REQUEST");
      expect(e.message.startsWith(message), `${e.message} / ${message}`).toBe(true);
    }
    expect(await settingsState(t)).toEqual(before);
  });
});

describe("settings.effectiveLimits: what the rules resolve for a user (DESIGN.md §2 edge case 5)", () => {
  /** A profile with users 0..3 and groups 0..2; user 0 is in groups 0 and 1, user 1 in group 2, users 2 and 3 in none. */
  async function world() {
    const t = await makeTenant(h, { users: 4, groups: 3 });
    await addMembers(h, t, t.groupIds[0]!, [t.userIds[0]!]);
    await addMembers(h, t, t.groupIds[1]!, [t.userIds[0]!]);
    await addMembers(h, t, t.groupIds[2]!, [t.userIds[1]!]);
    const api = callerAs(h, t.admins.owner);
    const limits = (i: number) => callerAs(h, t.admins.viewer).settings.effectiveLimits({ profileId: t.profileId, userId: t.userIds[i]! });
    return { t, api, limits };
  }

  it("nothing set: no cap, overage follows the profile (off by default)", async () => {
    const { limits, t } = await world();
    expect(await limits(0)).toEqual({ profileId: t.profileId, userId: t.userIds[0], overageAllowed: false, overageSwitch: "inherit", cap: "unlimited", capSource: "none" });
  });

  it("the profile default applies when no override does", async () => {
    const { api, t, limits } = await world();
    await api.settings.update({ profileId: t.profileId, defaultCapCredits: 100 });
    expect(await limits(2)).toMatchObject({ cap: 100, capSource: "profile" });
  });

  it("a group override beats the profile default even when lower, whether or not the group is assigned; it does not reach non-members", async () => {
    const { api, t, limits } = await world();
    await api.settings.update({ profileId: t.profileId, defaultCapCredits: 100 });
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: t.groupIds[2]!, cap: 20 });
    expect(await limits(1)).toMatchObject({ cap: 20, capSource: "group" });
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[1]!], tier: "pro" });
    expect(await limits(1)).toMatchObject({ cap: 20, capSource: "group" });
    expect(await limits(2)).toMatchObject({ cap: 100, capSource: "profile" });
  });

  it("of several groups, the most generous wins; unlimited is the most generous of all", async () => {
    const { api, t, limits } = await world();
    await api.settings.update({ profileId: t.profileId, defaultCapCredits: 1000 });
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: t.groupIds[0]!, cap: 20 });
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: t.groupIds[1]!, cap: 50.25 });
    expect(await limits(0)).toMatchObject({ cap: 50.25, capSource: "group" });
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: t.groupIds[0]!, cap: "unlimited" });
    expect(await limits(0)).toMatchObject({ cap: "unlimited", capSource: "group" });
  });

  it("the user's own override wins, even when lower than their groups' and the profile's, and even when 0 or unlimited", async () => {
    const { api, t, limits } = await world();
    await api.settings.update({ profileId: t.profileId, defaultCapCredits: 1000 });
    await api.settings.setGroupOverride({ profileId: t.profileId, groupId: t.groupIds[0]!, cap: 500 });
    await api.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[0]!, cap: 5 });
    expect(await limits(0)).toMatchObject({ cap: 5, capSource: "user" });
    await api.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[0]!, cap: 0 });
    expect(await limits(0)).toMatchObject({ cap: 0, capSource: "user" });
    await api.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[0]!, cap: "unlimited" });
    expect(await limits(0)).toMatchObject({ cap: "unlimited", capSource: "user" });
    // Removing the user's override falls back to their groups.
    await api.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[0]!, cap: null });
    expect(await limits(0)).toMatchObject({ cap: 500, capSource: "group" });
  });

  it("the overage switch: inherit follows the profile at once; on and off decide for the user", async () => {
    const { api, t, limits } = await world();
    await api.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[2]!, overage: "on" });
    await api.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[3]!, overage: "off" });
    expect([(await limits(1)).overageAllowed, (await limits(2)).overageAllowed, (await limits(3)).overageAllowed]).toEqual([false, true, false]);
    await api.settings.update({ profileId: t.profileId, overagesEnabled: true });
    expect(await limits(1)).toMatchObject({ overageAllowed: true, overageSwitch: "inherit" });
    expect(await limits(2)).toMatchObject({ overageAllowed: true, overageSwitch: "on" });
    expect(await limits(3)).toMatchObject({ overageAllowed: false, overageSwitch: "off" });
  });

  it("overrides are per profile: the same account's other profile is not affected", async () => {
    const { api, t, limits } = await world();
    const eu = await api.profiles.create({ region: "eu-central-1" });
    await api.settings.update({ profileId: eu.id, defaultCapCredits: 7, overagesEnabled: true });
    await api.settings.setUserOverride({ profileId: eu.id, userId: t.userIds[0]!, cap: 3, overage: "off" });
    await api.settings.setGroupOverride({ profileId: eu.id, groupId: t.groupIds[2]!, cap: 9 });
    expect(await limits(0)).toMatchObject({ overageAllowed: false, cap: "unlimited", capSource: "none" });
    expect(await limits(1)).toMatchObject({ cap: "unlimited", capSource: "none" });
    expect(await api.settings.effectiveLimits({ profileId: eu.id, userId: t.userIds[0]! })).toMatchObject({ overageAllowed: false, cap: 3, capSource: "user" });
    expect(await api.settings.effectiveLimits({ profileId: eu.id, userId: t.userIds[1]! })).toMatchObject({ overageAllowed: true, cap: 9, capSource: "group" });
    expect((await api.settings.get({ profileId: t.profileId })).userOverrides).toEqual([]);
  });
});

describe("roles", () => {
  it("an admin (not only an owner) changes settings; a viewer reads them", async () => {
    const t = await makeTenant(h, { users: 1 });
    await callerAs(h, t.admins.admin).settings.update({ profileId: t.profileId, budgetCents: 1 });
    expect((await callerAs(h, t.admins.viewer).settings.get({ profileId: t.profileId })).budgetCents).toBe(1);
    const e = await rejection(callerAs(h, t.admins.viewer).settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[0]!, overage: "on" }));
    expect(e.code).toBe("FORBIDDEN");
  });
});
