import { describe, expect, it } from "vitest";
import { and, count, eq, sql } from "drizzle-orm";
import { auditLog, profiles } from "@seatdesk/db";
import { adminActor, recordAudit } from "../src/services/audit";
import { callerAs, harnessForFile, makeTenant, rejection } from "./harness";

const h = harnessForFile({ resetClock: true });

const at = (iso: string) => new Date(iso);

type Api = ReturnType<typeof callerAs>;
type Entry = Awaited<ReturnType<Api["audit"]["list"]>>["entries"][number];
type ListInput = Parameters<Api["audit"]["list"]>[0];

/** Every entry a filter finds, a page of `limit` at a time; fails on a repeated entry. */
async function everyPage(api: Api, input: ListInput, limit: number): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: Awaited<ReturnType<Api["audit"]["list"]>> = await api.audit.list({ ...input, limit, cursor });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    out.push(...page.entries);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  expect(cursor).toBeNull();
  expect(new Set(out.map((e) => e.id)).size).toBe(out.length);
  return out;
}

/** Newest first; among entries of the same instant, the larger id first. */
function isNewestFirst(entries: Entry[]): boolean {
  return entries.every((e, i) => {
    const prev = entries[i - 1];
    if (!prev) return true;
    return prev.at > e.at || (prev.at === e.at && prev.id > e.id);
  });
}

/**
 * An account with two profiles and a history written as the procedures write it (recordAudit, in the
 * shape of subscriptions.subscribe's entries, whose exact actions belong to that router): a batch of three
 * on one instant, two on another, and entries by the system and SCIM.
 */
async function history() {
  const t = await makeTenant(h, { users: 6 });
  const [eu] = await h.database.db.insert(profiles).values({ accountId: t.accountId, region: "eu-central-1", name: "Frankfurt" }).returning();
  const euId = eu!.id;
  const db = h.database.db;
  const owner = adminActor(t.admins.owner);
  const admin = adminActor(t.admins.admin);
  const subscribed = (profileId: string, userId: string, tier: string, before: string | null = null) => ({
    profileId,
    action: "subscription.subscribe",
    targetType: "user",
    targetId: userId,
    before: before ? { tier: before, status: "pending" } : null,
    after: { tier, status: "pending" },
  });
  await recordAudit(db, t.accountId, owner, t.userIds.slice(0, 3).map((id) => subscribed(t.profileId, id, "pro")), at("2026-01-02T09:00:00Z"));
  await recordAudit(db, t.accountId, admin, [subscribed(t.profileId, t.userIds[3]!, "power")], at("2026-01-03T09:00:00Z"));
  await recordAudit(db, t.accountId, admin, [subscribed(euId, t.userIds[0]!, "pro_plus")], at("2026-01-03T09:00:00Z"));
  await recordAudit(db, t.accountId, owner, [subscribed(t.profileId, t.userIds[0]!, "power", "pro")], at("2026-01-05T09:00:00Z"));
  await recordAudit(
    db,
    t.accountId,
    { type: "system", id: null, label: "month close" },
    [{ profileId: euId, action: "subscription.downgrade-applied", targetType: "user", targetId: t.userIds[4]!, before: { tier: "power" }, after: { tier: "pro" } }],
    at("2026-01-01T00:00:00Z"),
  );
  await recordAudit(
    db,
    t.accountId,
    { type: "scim", id: "okta", label: "Okta SCIM" },
    [{ action: "directory.user-deactivated", targetType: "user", targetId: t.userIds[5]!, before: { active: true }, after: { active: false } }],
    at("2026-01-04T15:30:00Z"),
  );
  return { t, euId };
}

describe("audit.list", () => {
  it("lists the account's entries newest first with who, what, the target, before and after", async () => {
    const { t, euId } = await history();
    const { entries, nextCursor } = await callerAs(h, t.admins.viewer).audit.list({});
    expect(nextCursor).toBeNull();
    expect(entries).toHaveLength(8);
    expect(isNewestFirst(entries)).toBe(true);
    expect(entries.map((e) => [e.at, e.action])).toEqual([
      ["2026-01-05T09:00:00.000Z", "subscription.subscribe"],
      ["2026-01-04T15:30:00.000Z", "directory.user-deactivated"],
      ["2026-01-03T09:00:00.000Z", "subscription.subscribe"],
      ["2026-01-03T09:00:00.000Z", "subscription.subscribe"],
      ["2026-01-02T09:00:00.000Z", "subscription.subscribe"],
      ["2026-01-02T09:00:00.000Z", "subscription.subscribe"],
      ["2026-01-02T09:00:00.000Z", "subscription.subscribe"],
      ["2026-01-01T00:00:00.000Z", "subscription.downgrade-applied"],
    ]);
    const targets = (from: number, to: number) => new Set(entries.slice(from, to).map((e) => `${e.targetId} ${e.profileId}`));
    expect(targets(0, 2)).toEqual(new Set([`${t.userIds[0]} ${t.profileId}`, `${t.userIds[5]} null`]));
    expect(targets(2, 4)).toEqual(new Set([`${t.userIds[3]} ${t.profileId}`, `${t.userIds[0]} ${euId}`]));
    expect(targets(4, 7)).toEqual(new Set(t.userIds.slice(0, 3).map((id) => `${id} ${t.profileId}`)));
    expect(targets(7, 8)).toEqual(new Set([`${t.userIds[4]} ${euId}`]));

    const upgrade = entries[0]!;
    expect(upgrade).toEqual({
      id: expect.any(String),
      at: "2026-01-05T09:00:00.000Z",
      actor: { type: "admin", id: t.admins.owner.adminId, label: t.admins.owner.email },
      action: "subscription.subscribe",
      targetType: "user",
      targetId: t.userIds[0],
      target: { name: "User 00000", detail: expect.stringMatching(/^user0-.*@example\.com$/), deleted: false },
      profileId: t.profileId,
      before: { tier: "pro", status: "pending" },
      after: { tier: "power", status: "pending" },
    });
    expect(entries[1]).toMatchObject({ actor: { type: "scim", id: "okta", label: "Okta SCIM" }, profileId: null, before: { active: true }, after: { active: false } });
    expect(entries[7]).toMatchObject({ actor: { type: "system", id: null, label: "month close" }, profileId: euId });
  });

  it("shows a change made through the API, with its actor, target and profile", async () => {
    const { t } = await history();
    h.clock.set(at("2026-01-09T10:00:00Z"));
    await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[2]!], tier: "power" });
    const { entries } = await callerAs(h, t.admins.viewer).audit.list({ targetId: t.userIds[2]!, from: "2026-01-09T00:00:00Z" });
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(e).toMatchObject({ at: "2026-01-09T10:00:00.000Z", actor: { type: "admin", id: t.admins.admin.adminId, label: t.admins.admin.email }, profileId: t.profileId });
    }
  });

  it("pages through everything with no repeats and nothing left out, at every page size", async () => {
    const { t } = await history();
    const api = callerAs(h, t.admins.owner);
    const all = (await api.audit.list({ limit: 200 })).entries;
    for (const limit of [1, 2, 3, 7]) {
      const paged = await everyPage(api, {}, limit);
      expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    }
  });

  it("keeps order and paging exact for entries a microsecond apart", async () => {
    const t = await makeTenant(h, { users: 0 });
    // Entries written by the database's clock carry microseconds, which a JavaScript Date cannot hold.
    for (const micro of ["123456", "123457", "123457", "123999", "124000"]) {
      await h.database.db.execute(
        sql`insert into audit_log (account_id, at, actor_type, actor_label, action, target_type, target_id)
            values (${t.accountId}::uuid, ${`2026-01-08 12:00:00.${micro}+00`}::timestamptz, 'system', 'test', 'tick', 'none', ${micro})`,
      );
    }
    const api = callerAs(h, t.admins.owner);
    const all = (await api.audit.list({})).entries;
    expect(all.map((e) => e.targetId)).toEqual(["124000", "123999", expect.any(String), expect.any(String), "123456"]);
    const paged = await everyPage(api, {}, 1);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  it("filters by profile, action, target, actor and time, and pages within a filter", async () => {
    const { t, euId } = await history();
    const api = callerAs(h, t.admins.owner);
    const targets = (entries: Entry[]) => entries.map((e) => e.targetId);

    const eu = await everyPage(api, { profileId: euId }, 1);
    expect(eu.map((e) => e.action)).toEqual(["subscription.subscribe", "subscription.downgrade-applied"]);
    expect(eu.every((e) => e.profileId === euId)).toBe(true);
    expect(await everyPage(api, { profileId: t.profileId }, 2)).toHaveLength(5);

    expect(targets((await api.audit.list({ action: "directory.user-deactivated" })).entries)).toEqual([t.userIds[5]]);
    expect((await api.audit.list({ action: "subscription" })).entries).toEqual([]);

    const aboutUser0 = (await api.audit.list({ targetId: t.userIds[0]! })).entries;
    expect(aboutUser0.map((e) => [e.at, e.profileId])).toEqual([
      ["2026-01-05T09:00:00.000Z", t.profileId],
      ["2026-01-03T09:00:00.000Z", euId],
      ["2026-01-02T09:00:00.000Z", t.profileId],
    ]);

    const byAdmin = await everyPage(api, { actorId: t.admins.admin.adminId }, 1);
    expect(byAdmin.map((e) => [e.targetId, e.profileId])).toEqual(
      expect.arrayContaining([
        [t.userIds[3], t.profileId],
        [t.userIds[0], euId],
      ]),
    );
    expect(byAdmin).toHaveLength(2);
    expect(byAdmin.every((e) => e.actor.id === t.admins.admin.adminId)).toBe(true);
    expect((await api.audit.list({ actorId: "okta" })).entries.map((e) => e.action)).toEqual(["directory.user-deactivated"]);

    // `from` inclusive, `to` exclusive.
    const window = await everyPage(api, { from: "2026-01-02T09:00:00Z", to: "2026-01-04T15:30:00Z" }, 2);
    expect(window).toHaveLength(5);
    expect(window.every((e) => e.at >= "2026-01-02T09:00:00.000Z" && e.at < "2026-01-04T15:30:00.000Z")).toBe(true);
    expect((await api.audit.list({ from: "2026-01-04T15:30:00Z" })).entries).toHaveLength(2);
    expect((await api.audit.list({ to: "2026-01-02T09:00:00Z" })).entries.map((e) => e.action)).toEqual(["subscription.downgrade-applied"]);
    expect((await api.audit.list({ from: "2026-01-03T10:00:00+01:00", to: "2026-01-03T10:00:00.001+01:00" })).entries).toHaveLength(2);

    const combined = await api.audit.list({ profileId: t.profileId, action: "subscription.subscribe", actorId: t.admins.owner.adminId, from: "2026-01-03T00:00:00Z" });
    expect(targets(combined.entries)).toEqual([t.userIds[0]]);
  });

  it("sees only the signed-in account; another account's profile id is NOT_FOUND", async () => {
    const { t: theirs } = await history();
    const { t: mine } = await history();
    const api = callerAs(h, mine.admins.owner);
    const everything = await everyPage(api, {}, 3);
    const [{ n }] = (await h.database.db.select({ n: count() }).from(auditLog).where(eq(auditLog.accountId, mine.accountId))) as [{ n: number }];
    expect(everything).toHaveLength(n);
    const theirIds = new Set(
      (await h.database.db.select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.accountId, theirs.accountId)))).map((r) => r.id),
    );
    expect(theirIds.size).toBe(8);
    expect(everything.some((e) => theirIds.has(e.id))).toBe(false);
    // Their user as a target, their admin as an actor: nothing (the filter never reaches past the account).
    expect((await api.audit.list({ targetId: theirs.userIds[0]! })).entries).toEqual([]);
    expect((await api.audit.list({ actorId: theirs.admins.owner.adminId })).entries).toEqual([]);

    const e = await rejection(api.audit.list({ profileId: theirs.profileId }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toBe("profileId: no such profile in this account");
  });

  it("names each entry's target in the same answer, by type, and says which are deleted", async () => {
    const t = await makeTenant(h, { users: 1, groups: 1 });
    h.clock.set(at("2026-01-09T10:00:00Z"));
    const owner = callerAs(h, t.admins.owner);
    await owner.keys.create({ profileId: t.profileId, name: "CI runner" });
    await owner.scimTokens.create({ name: "Okta" });
    const hook = (await owner.webhooks.create({ url: "https://hooks.example.com/seatdesk", description: "Ops channel", eventTypes: ["invoice.finalized"] })).endpoint;
    const goneHook = (await owner.webhooks.create({ url: "https://old.example.com/hook", eventTypes: ["invoice.finalized"] })).endpoint;
    await owner.webhooks.remove({ endpointId: goneHook.id });
    await owner.admins.remove({ adminId: t.admins.viewer.adminId });
    const gone = "00000000-0000-4000-8000-000000000001";
    await recordAudit(
      h.database.db,
      t.accountId,
      adminActor(t.admins.owner),
      [
        { action: "x.user", targetType: "user", targetId: t.userIds[0]! },
        { action: "x.group", targetType: "group", targetId: t.groupIds[0]! },
        { action: "x.admin", targetType: "admin", targetId: t.admins.admin.adminId },
        { profileId: t.profileId, action: "x.profile", targetType: "profile", targetId: t.profileId },
        { action: "x.account", targetType: "account", targetId: t.accountId },
        { profileId: t.profileId, action: "x.invoice", targetType: "invoice", targetId: "2026-01" },
        { action: "x.clock", targetType: "clock" },
        { action: "x.gone", targetType: "user", targetId: gone, before: { displayName: "Ada Gone" } },
        { action: "x.gone-unnamed", targetType: "group", targetId: gone },
        { action: "x.not-a-uuid", targetType: "user", targetId: "not-a-uuid" },
      ],
      at("2026-01-09T11:00:00Z"),
    );
    const { entries } = await callerAs(h, t.admins.admin).audit.list({});
    const by = (action: string) => entries.find((e) => e.action === action)?.target;
    expect(by("x.user")).toEqual({ name: "User 00000", detail: expect.stringMatching(/^user0-/), deleted: false });
    expect(by("x.group")).toEqual({ name: "Group 0", detail: null, deleted: false });
    expect(by("x.admin")).toEqual({ name: t.admins.admin.name, detail: t.admins.admin.email, deleted: false });
    expect(by("x.profile")).toEqual({ name: "Main", detail: "us-east-1", deleted: false });
    expect(by("x.account")).toEqual({ name: expect.stringMatching(/^Tenant /), detail: null, deleted: false });
    expect(by("x.invoice")).toEqual({ name: "2026-01", detail: null, deleted: false });
    expect(by("x.clock")).toEqual({ name: null, detail: null, deleted: false });
    expect(by("api-key.create")).toEqual({ name: "CI runner", detail: null, deleted: false });
    expect(by("scim-token.create")).toEqual({ name: "Okta", detail: null, deleted: false });
    expect(entries.find((e) => e.action === "webhook.endpoint.create" && e.targetId === hook.id)?.target).toEqual({ name: "https://hooks.example.com/seatdesk", detail: "Ops channel", deleted: false });
    expect(by("webhook.endpoint.delete")).toEqual({ name: "https://old.example.com/hook", detail: null, deleted: true });
    // Deleted since: the name the entry recorded, else none; the id is still there.
    expect(entries.find((e) => e.action === "admin.remove")).toMatchObject({ targetId: t.admins.viewer.adminId, target: { name: t.admins.viewer.name, deleted: true } });
    expect(entries.find((e) => e.action === "x.gone")).toMatchObject({ targetId: gone, target: { name: "Ada Gone", detail: null, deleted: true } });
    expect(by("x.gone-unnamed")).toEqual({ name: null, detail: null, deleted: true });
    expect(by("x.not-a-uuid")).toEqual({ name: null, detail: null, deleted: true });
  });

  it("never names a target of another account, even by its id", async () => {
    const theirs = await makeTenant(h, { users: 1, groups: 1, name: "Their secret account" });
    const mine = await makeTenant(h, { users: 0 });
    const theirKey = await callerAs(h, theirs.admins.owner).keys.create({ profileId: theirs.profileId, name: "their key" });
    const theirToken = await callerAs(h, theirs.admins.owner).scimTokens.create({ name: "their token" });
    const theirHook = (await callerAs(h, theirs.admins.owner).webhooks.create({ url: "https://their.example.com/hook", eventTypes: ["invoice.finalized"] })).endpoint;
    const targets: [string, string][] = [
      ["user", theirs.userIds[0]!],
      ["group", theirs.groupIds[0]!],
      ["admin", theirs.admins.owner.adminId],
      ["profile", theirs.profileId],
      ["api-key", theirKey.id],
      ["scim-token", theirToken.id],
      ["webhook-endpoint", theirHook.id],
      ["account", theirs.accountId],
    ];
    await recordAudit(
      h.database.db,
      mine.accountId,
      adminActor(mine.admins.owner),
      targets.map(([targetType, targetId]) => ({ action: `probe.${targetType}`, targetType, targetId })),
      at("2026-01-09T11:00:00Z"),
    );
    const { entries } = await callerAs(h, mine.admins.owner).audit.list({});
    const probes = entries.filter((e) => e.action.startsWith("probe."));
    expect(probes).toHaveLength(targets.length);
    for (const e of probes) expect(e.target).toEqual({ name: null, detail: null, deleted: true });
    // The same targets in their own account are named, so the lookups above did run.
    const theirEntries = (await callerAs(h, theirs.admins.owner).audit.list({})).entries;
    expect(theirEntries.find((e) => e.action === "api-key.create")?.target.name).toBe("their key");
  });

  it("bad input names the field", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.owner);
    const cases: [ListInput, RegExp][] = [
      [{ profileId: "nope" }, /^profileId: /],
      [{ from: "yesterday" }, /^from: /],
      [{ from: "2026-01-05T00:00:00Z", to: "2026-01-05T00:00:00Z" }, /^to: must be after from$/],
      [{ limit: 0 }, /^limit: /],
      [{ limit: 201 }, /^limit: /],
      [{ cursor: "not-a-cursor" }, /^cursor: not a cursor this list gave out$/],
      [{ cursor: Buffer.from(JSON.stringify(["2026-01-05", "x"])).toString("base64url") }, /^cursor: /],
    ];
    for (const [input, message] of cases) {
      const e = await rejection(api.audit.list(input));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toMatch(message);
    }
  });

  it("needs a signed-in admin", async () => {
    const e = await rejection(callerAs(h, null).audit.list({}));
    expect(e.code).toBe("UNAUTHORIZED");
  });
});
