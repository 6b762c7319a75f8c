import { describe, expect, it } from "vitest";
import { count, eq } from "drizzle-orm";
import { auditLog, profiles } from "@seatdesk/db";
import { callerAs, harnessForFile, makeTenant, rejection } from "./harness";

const h = harnessForFile();

async function counts(accountId: string) {
  const db = h.database.db;
  return {
    profiles: (await db.select({ n: count() }).from(profiles).where(eq(profiles.accountId, accountId)))[0]!.n,
    audit: (await db.select({ n: count() }).from(auditLog).where(eq(auditLog.accountId, accountId)))[0]!.n,
  };
}

const defaults = { overagesEnabled: false, cancelAccess: "end-of-month", firstMonth: "full", defaultCapCredits: null, budgetCents: null };

describe("profiles.create", () => {
  it("an owner opens the account in another region, named after the region by default; list and byRegion see it", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.owner);
    const created = await api.profiles.create({ region: "eu-central-1" });
    expect(created).toMatchObject({ region: "eu-central-1", regionName: "Europe (Frankfurt)", name: "Europe (Frankfurt)", settings: defaults });
    expect(created.createdAt).toBe(h.clock.now().toISOString());

    const { profiles: listed } = await callerAs(h, t.admins.viewer).profiles.list();
    expect(listed.map((p) => p.region)).toEqual(["eu-central-1", "us-east-1"]);
    expect(await api.profiles.byRegion({ region: "eu-central-1" })).toEqual({
      profile: { id: created.id, region: "eu-central-1", name: "Europe (Frankfurt)" },
      otherRegions: ["us-east-1"],
    });

    const audit = await h.database.db.select().from(auditLog).where(eq(auditLog.accountId, t.accountId));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "profile.create",
      profileId: created.id,
      targetType: "profile",
      targetId: created.id,
      actorId: t.admins.owner.adminId,
      before: null,
      after: { region: "eu-central-1", name: "Europe (Frankfurt)", settings: defaults },
    });
  });

  it("takes a name", async () => {
    const t = await makeTenant(h, { users: 0 });
    const created = await callerAs(h, t.admins.owner).profiles.create({ region: "eu-central-1", name: "  Frankfurt team  " });
    expect(created.name).toBe("Frankfurt team");
  });

  it("one profile per account and region: CONFLICT naming the region; another account's profile there is no obstacle", async () => {
    const t = await makeTenant(h, { users: 0 });
    const other = await makeTenant(h, { users: 0 });
    await callerAs(h, other.admins.owner).profiles.create({ region: "eu-central-1" });
    const e = await rejection(callerAs(h, t.admins.owner).profiles.create({ region: "us-east-1" }));
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toBe("region: this account already has a profile in us-east-1");
    expect(await counts(t.accountId)).toEqual({ profiles: 1, audit: 0 });
    await callerAs(h, t.admins.owner).profiles.create({ region: "eu-central-1" });
    expect(await counts(t.accountId)).toEqual({ profiles: 2, audit: 1 });
  });

  it("a region this server does not offer, or bad input: BAD_REQUEST naming the field", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.owner);
    const bad = await rejection(api.profiles.create({ region: "mars-north-1" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toBe("region: mars-north-1 is not a region of this server; choose one of us-east-1, eu-central-1");
    for (const [input, prefix] of [
      [{ region: "" }, "region: choose a region"],
      [{ region: "eu-central-1", name: "   " }, "name: enter a name"],
      [{ region: "eu-central-1", name: "x".repeat(101) }, "name: at most 100 characters"],
    ] as const) {
      const e = await rejection(api.profiles.create(input));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message.startsWith(prefix)).toBe(true);
    }
    expect(await counts(t.accountId)).toEqual({ profiles: 1, audit: 0 });
  });

  it("only owners create profiles: an admin and a viewer are FORBIDDEN", async () => {
    const t = await makeTenant(h, { users: 0 });
    for (const role of ["admin", "viewer"] as const) {
      const e = await rejection(callerAs(h, t.admins[role]).profiles.create({ region: "eu-central-1" }));
      expect(e.code).toBe("FORBIDDEN");
    }
    expect(await counts(t.accountId)).toEqual({ profiles: 1, audit: 0 });
  });
});

describe("profiles.get", () => {
  it("answers the profile with its settings, to any role", async () => {
    const t = await makeTenant(h, { users: 0 });
    await callerAs(h, t.admins.admin).settings.update({ profileId: t.profileId, overagesEnabled: true, defaultCapCredits: 12.5, budgetCents: 5000 });
    const p = await callerAs(h, t.admins.viewer).profiles.get({ profileId: t.profileId });
    expect(p).toMatchObject({
      id: t.profileId,
      region: "us-east-1",
      regionName: "US East (N. Virginia)",
      name: "Main",
      settings: { ...defaults, overagesEnabled: true, defaultCapCredits: 12.5, budgetCents: 5000 },
    });
  });

  it("another account's profile, or a malformed id: NOT_FOUND / BAD_REQUEST naming profileId", async () => {
    const t = await makeTenant(h, { users: 0 });
    const other = await makeTenant(h, { users: 0 });
    const e = await rejection(callerAs(h, t.admins.owner).profiles.get({ profileId: other.profileId }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toMatch(/^profileId: /);
    const bad = await rejection(callerAs(h, t.admins.owner).profiles.get({ profileId: "x" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/^profileId: /);
  });
});
