import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, count, desc, eq, inArray } from "drizzle-orm";
import { auditLog, directoryUsers, groupMembers, subscriptions } from "@seatdesk/db";
import { tenantFingerprint } from "./fingerprint";
import { activateAt, callerAs, harnessForFile, makeTenant, testNow, type Tenant } from "./harness";
import { listen, makeScimToken, scim } from "./scim-helpers";

/** Issue 8: /scim/v2/Groups over HTTP as Okta and Entra call it, and what group membership does to subscriptions. */
const h = harnessForFile();
let base: string;
let close: () => Promise<void>;

const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";

beforeAll(async () => {
  ({ url: base, close } = await listen(h));
});
afterAll(() => close());

interface Idp {
  t: Tenant;
  token: string;
  call: (method: string, path: string, body?: unknown) => ReturnType<typeof scim>;
}

async function identityProvider(options: { users?: number; groups?: number } = {}): Promise<Idp> {
  const t = await makeTenant(h, { users: options.users ?? 8, groups: options.groups ?? 0 });
  const { token } = await makeScimToken(h, t);
  return { t, token, call: (method, path, body) => scim(base, token, method, path, body) };
}

const patchBody = (...ops: unknown[]) => ({ schemas: [patchSchema], Operations: ops });

async function createGroup(idp: Idp, displayName: string, memberIds: string[] = [], extra: Record<string, unknown> = {}) {
  const r = await idp.call("POST", "/Groups", { schemas: [groupSchema], displayName, members: memberIds.map((value) => ({ value })), ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

async function memberValues(idp: Idp, groupId: string): Promise<string[]> {
  const r = await idp.call("GET", `/Groups/${groupId}`);
  expect(r.status).toBe(200);
  return (r.body.members as { value: string }[]).map((m) => m.value).sort();
}

/** A user's subscription in the tenant's profile as the console's Users tab shows it. */
async function subscriptionOf(t: Tenant, userId: string) {
  const page = await callerAs(h, t.admins.viewer).subscriptions.list({ profileId: t.profileId, limit: 200 });
  const row = page.rows.find((r) => r.userId === userId);
  expect(row, `user ${userId} is listed`).toBeDefined();
  return { status: row!.status, tier: row!.tier, scheduledTier: row!.scheduledTier };
}

const subscribeGroup = (t: Tenant, groupId: string, tier: "pro" | "pro_plus" | "power") =>
  callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, groupIds: [groupId], tier });

async function auditActions(t: Tenant) {
  return h.database.db
    .select({ action: auditLog.action, actorType: auditLog.actorType, actorLabel: auditLog.actorLabel, targetId: auditLog.targetId, before: auditLog.before, after: auditLog.after })
    .from(auditLog)
    .where(eq(auditLog.accountId, t.accountId))
    .orderBy(desc(auditLog.at), desc(auditLog.id));
}

/** Answers with a SCIM error, and the account is exactly as it was. */
async function expectRefusedUnchanged(idp: Idp, request: () => ReturnType<typeof scim>, status: number, scimType?: string) {
  const before = await tenantFingerprint(h.database, idp.t.accountId);
  const r = await request();
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.contentType).toMatch(/^application\/scim\+json/);
  expect(r.body).toMatchObject({ schemas: [errorSchema], status: String(status), ...(scimType ? { scimType } : {}) });
  expect(r.body.detail).toEqual(expect.any(String));
  expect(JSON.stringify(r.body)).not.toMatch(/select|insert|stack|at .*\.ts/i);
  expect(await tenantFingerprint(h.database, idp.t.accountId)).toEqual(before);
  return r;
}

describe("create, get, list", () => {
  let idp: Idp;
  let engineering: string;
  beforeAll(async () => {
    idp = await identityProvider();
  });

  it("POST creates a group with its members: 201, Location, the SCIM representation, audited with the token", async () => {
    const [a, b] = idp.t.userIds;
    const r = await idp.call("POST", "/Groups", {
      schemas: [groupSchema],
      displayName: "Engineering",
      externalId: "okta-00g1",
      members: [{ value: a, display: "ignored" }, { value: b }, { value: a }],
    });
    expect(r.status).toBe(201);
    expect(r.contentType).toMatch(/^application\/scim\+json/);
    engineering = r.body.id;
    expect(r.location).toBe(`${base}/scim/v2/Groups/${engineering}`);
    expect(r.body).toMatchObject({
      schemas: [groupSchema],
      id: engineering,
      externalId: "okta-00g1",
      displayName: "Engineering",
      meta: { resourceType: "Group", location: r.location, created: testNow.toISOString(), lastModified: testNow.toISOString() },
    });
    expect(r.body.members).toHaveLength(2);
    expect(r.body.members).toContainEqual({ value: a, display: "User 00000", type: "User", $ref: `${base}/scim/v2/Users/${a}` });
    const entries = await auditActions(idp.t);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(["scim.group.create", "scim.group.members.add"]));
    const scimEntries = entries.filter((e) => e.action.startsWith("scim.group."));
    expect(scimEntries.length).toBeGreaterThanOrEqual(2);
    expect(scimEntries.every((e) => e.actorType === "scim" && e.actorLabel === 'SCIM token "identity provider"')).toBe(true);
    // The group has no tier anywhere yet: adding members moved no subscription.
    expect(entries.find((e) => e.action === "scim.group.members.add")!.after).toEqual({ added: expect.arrayContaining([a, b]), effects: [] });
  });

  it("a duplicate displayName in any case is 409 uniqueness and writes nothing", async () => {
    await expectRefusedUnchanged(idp, () => idp.call("POST", "/Groups", { schemas: [groupSchema], displayName: "ENGINEERING" }), 409, "uniqueness");
  });

  it("GET /Groups/{id}; excludedAttributes=members leaves members out; attributes picks", async () => {
    const one = await idp.call("GET", `/Groups/${engineering}`);
    expect(one.status).toBe(200);
    expect(one.body.displayName).toBe("Engineering");
    expect(one.body.members).toHaveLength(2);
    const slim = await idp.call("GET", `/Groups/${engineering}?excludedAttributes=members`);
    expect(slim.body).not.toHaveProperty("members");
    expect(slim.body).toMatchObject({ id: engineering, displayName: "Engineering", schemas: [groupSchema] });
    const picked = await idp.call("GET", `/Groups/${engineering}?attributes=members.value`);
    expect(picked.body).not.toHaveProperty("displayName");
    expect(picked.body.members).toEqual(expect.arrayContaining([{ value: idp.t.userIds[0] }]));
  });

  it("an unknown, random or malformed id is 404 in the error schema (Entra probes with random ids)", async () => {
    for (const id of [crypto.randomUUID(), "not-a-uuid", "00000000-0000-0000-0000-000000000000"]) {
      const r = await idp.call("GET", `/Groups/${id}`);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ schemas: [errorSchema], status: "404" });
    }
  });

  it("lists with filters: displayName eq in any case, externalId eq, co / sw / pr, and / or, members[value eq]; paging", async () => {
    await createGroup(idp, "Design", [idp.t.userIds[2]!], { externalId: "okta-00g2" });
    await createGroup(idp, "Engineering Managers");
    const names = async (filter: string, extra = "") => {
      const r = await idp.call("GET", `/Groups?filter=${encodeURIComponent(filter)}${extra}`);
      expect(r.status, `${filter}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
      expect(r.body.totalResults).toBe(r.body.Resources.length);
      return (r.body.Resources as { displayName: string }[]).map((g) => g.displayName);
    };
    expect(await names('displayName eq "engineering"')).toEqual(["Engineering"]);
    expect(await names('displayName eq "Nobody"')).toEqual([]);
    expect(await names('externalId eq "okta-00g2"')).toEqual(["Design"]);
    expect(await names('externalId eq "OKTA-00G2"')).toEqual([]);
    expect(await names('displayName co "gineer"')).toEqual(["Engineering", "Engineering Managers"]);
    expect(await names('displayName sw "eng" and externalId pr')).toEqual(["Engineering"]);
    expect(await names('displayName eq "Design" or displayName eq "Engineering"')).toEqual(["Design", "Engineering"]);
    expect(await names(`members[value eq "${idp.t.userIds[2]}"]`)).toEqual(["Design"]);
    expect(await names(`displayName sw "E" and members[value eq "${idp.t.userIds[0]}"]`)).toEqual(["Engineering"]);
    expect(await names("not (displayName sw \"Eng\")")).toEqual(["Design"]);
    expect(await names('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "DESIGN"')).toEqual(["Design"]);
    expect(await names('displayName ne "Design"')).toEqual(["Engineering", "Engineering Managers"]);
    expect(await names('meta.lastModified gt "2026-01-01T00:00:00Z" and displayName ew "ign"')).toEqual(["Design"]);
    expect(await names('meta.lastModified lt "2026-01-01T00:00:00Z"')).toEqual([]);
    // Entra's membership check.
    expect(await names(`id eq "${engineering}" and members[value eq "${idp.t.userIds[0]}"]`)).toEqual(["Engineering"]);
    expect(await names(`id eq "${engineering}" and members[value eq "${idp.t.userIds[2]}"]`)).toEqual([]);

    const all = await idp.call("GET", "/Groups?excludedAttributes=members");
    expect(all.body.totalResults).toBe(3);
    expect(all.body.Resources.every((g: object) => !("members" in g))).toBe(true);
    const page = await idp.call("GET", "/Groups?startIndex=2&count=1");
    expect(page.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.body.Resources[0].displayName).toBe("Engineering");
    const none = await idp.call("GET", "/Groups?count=0");
    expect(none.body).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    const past = await idp.call("GET", "/Groups?startIndex=10");
    expect(past.body).toMatchObject({ totalResults: 3, Resources: [] });
  });

  it("a filter that does not parse is 400 invalidFilter", async () => {
    const r = await idp.call("GET", `/Groups?filter=${encodeURIComponent('displayName eq "x')}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ schemas: [errorSchema], status: "400", scimType: "invalidFilter" });
  });
});

describe("PATCH and PUT", () => {
  let idp: Idp;
  let group: string;
  beforeAll(async () => {
    idp = await identityProvider({ users: 8 });
    group = await createGroup(idp, "Platform", [idp.t.userIds[0]!]);
  });

  it("Okta: add with path members and a value array; remove with members[value eq \"id\"]", async () => {
    const [u0, u1, u2] = idp.t.userIds;
    const add = await idp.call(
      "PATCH",
      `/Groups/${group}`,
      patchBody({ op: "add", path: "members", value: [{ value: u1, display: "User 00001" }, { value: u2, display: "User 00002" }] }),
    );
    expect(add.status, JSON.stringify(add.body)).toBe(204);
    expect(await memberValues(idp, group)).toEqual([u0, u1, u2].sort());
    const remove = await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "remove", path: `members[value eq "${u1}"]` }));
    expect(remove.status).toBe(204);
    expect(await memberValues(idp, group)).toEqual([u0, u2].sort());
    // Removing someone who is not a member changes nothing, and is not an error.
    const again = await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "remove", path: `members[value eq "${u1}"]` }));
    expect(again.status).toBe(204);
  });

  it("Entra: capitalized ops, Add with value array, Remove by filter and by value, Replace displayName with no path", async () => {
    const [u0, , u2, u3, u4] = idp.t.userIds;
    expect((await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "Add", path: "members", value: [{ value: u3 }, { value: u4 }] }))).status).toBe(204);
    expect((await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "Remove", path: `members[value eq "${u3}"]` }))).status).toBe(204);
    expect((await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "Remove", path: "members", value: [{ value: u4 }] }))).status).toBe(204);
    expect(await memberValues(idp, group)).toEqual([u0, u2].sort());
    const rename = await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "Replace", value: { id: group, displayName: "Platform Team" } }));
    expect(rename.status).toBe(204);
    const got = await idp.call("GET", `/Groups/${group}`);
    expect(got.body.displayName).toBe("Platform Team");
    expect(got.body.meta.lastModified).toBe(testNow.toISOString());
    const byPath = await idp.call("PATCH", `/Groups/${group}?excludedAttributes=members`, patchBody({ op: "Replace", path: "displayName", value: "Platform" }));
    expect(byPath.status).toBe(200);
    expect(byPath.body).toMatchObject({ id: group, displayName: "Platform" });
    expect(byPath.body).not.toHaveProperty("members");
    const entries = await auditActions(idp.t);
    expect(entries.find((e) => e.action === "scim.group.update" && (e.after as { displayName: string }).displayName === "Platform")).toMatchObject({
      targetId: group,
      before: { displayName: "Platform Team" },
      after: { displayName: "Platform" },
    });
    expect(entries).toContainEqual(expect.objectContaining({ action: "scim.group.members.remove", targetId: group, before: { removed: [u4] } }));
  });

  it("several operations apply in order; replace members sets the whole list; remove with path members and no value empties it", async () => {
    const [u0, u1, u2, u3] = idp.t.userIds;
    const r = await idp.call(
      "PATCH",
      `/Groups/${group}`,
      patchBody(
        { op: "replace", path: "members", value: [{ value: u1 }, { value: u2 }] },
        { op: "add", path: "members", value: [{ value: u3 }] },
        { op: "remove", path: `members[value eq "${u1}"]` },
      ),
    );
    expect(r.status).toBe(204);
    expect(await memberValues(idp, group)).toEqual([u2, u3].sort());
    expect(await memberValues(idp, group)).not.toContain(u0);
    expect((await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "remove", path: "members" }))).status).toBe(204);
    expect(await memberValues(idp, group)).toEqual([]);
    // A filter other than value eq is applied to the members as they stand.
    await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "add", path: "members", value: [{ value: u0 }, { value: u1 }] }));
    expect((await idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "remove", path: 'members[display eq "user 00001"]' }))).status).toBe(204);
    expect(await memberValues(idp, group)).toEqual([u0]);
  });

  it("PUT replaces displayName and the whole member list; without members it keeps them", async () => {
    const [u0, u1, u5] = [idp.t.userIds[0]!, idp.t.userIds[1]!, idp.t.userIds[5]!];
    const r = await idp.call("PUT", `/Groups/${group}`, { schemas: [groupSchema], displayName: "Platform Guild", members: [{ value: u1 }, { value: u5 }] });
    expect(r.status).toBe(200);
    expect(r.body.displayName).toBe("Platform Guild");
    expect((r.body.members as { value: string }[]).map((m) => m.value).sort()).toEqual([u1, u5].sort());
    const rename = await idp.call("PUT", `/Groups/${group}`, { schemas: [groupSchema], displayName: "Platform" });
    expect(rename.status).toBe(200);
    expect(await memberValues(idp, group)).toEqual([u1, u5].sort());
    expect(await memberValues(idp, group)).not.toContain(u0);
  });

  it("renaming onto another group's name is 409 uniqueness and writes nothing", async () => {
    await createGroup(idp, "Other");
    await expectRefusedUnchanged(idp, () => idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "replace", path: "displayName", value: "other" })), 409, "uniqueness");
    await expectRefusedUnchanged(idp, () => idp.call("PUT", `/Groups/${group}`, { schemas: [groupSchema], displayName: "OTHER" }), 409, "uniqueness");
  });

  it("an unknown member (random id, another account's user, a deleted user, a group) is 400 invalidValue naming it; nothing written", async () => {
    const other = await identityProvider({ users: 1 });
    const deleted = idp.t.userIds[7]!;
    await h.database.db.update(directoryUsers).set({ deletedAt: testNow }).where(eq(directoryUsers.id, deleted));
    const valid = idp.t.userIds[6]!;
    for (const stranger of [crypto.randomUUID(), other.t.userIds[0]!, deleted, "not-a-uuid", group]) {
      const r = await expectRefusedUnchanged(
        idp,
        () => idp.call("PATCH", `/Groups/${group}`, patchBody({ op: "add", path: "members", value: [{ value: valid }, { value: stranger }] })),
        400,
        "invalidValue",
      );
      expect(r.body.detail).toContain(stranger);
      expect(r.body.detail).toContain("Operations[0].value[1].value");
    }
    await expectRefusedUnchanged(idp, () => idp.call("POST", "/Groups", { schemas: [groupSchema], displayName: "New", members: [{ value: crypto.randomUUID() }] }), 400, "invalidValue");
    await expectRefusedUnchanged(
      idp,
      () => idp.call("PUT", `/Groups/${group}`, { schemas: [groupSchema], displayName: "Renamed", members: [{ value: valid }, { value: crypto.randomUUID() }] }),
      400,
      "invalidValue",
    );
  });

  it("bad bodies get SCIM errors and write nothing", async () => {
    const bad: [string, string, unknown, string][] = [
      ["POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], displayName: "X" }, "invalidValue"],
      ["POST", "/Groups", { displayName: "X" }, "invalidValue"],
      ["POST", "/Groups", { schemas: [groupSchema] }, "invalidValue"],
      ["POST", "/Groups", { schemas: [groupSchema], displayName: "X", members: [{ display: "no value" }] }, "invalidValue"],
      ["POST", "/Groups", [], "invalidSyntax"],
      ["PUT", `/Groups/${group}`, { schemas: ["urn:nope"], displayName: "X" }, "invalidValue"],
      ["PATCH", `/Groups/${group}`, { schemas: [groupSchema], Operations: [{ op: "replace", path: "displayName", value: "X" }] }, "invalidValue"],
      ["PATCH", `/Groups/${group}`, patchBody(), "invalidSyntax"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "move", path: "displayName", value: "X" }), "invalidSyntax"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "remove" }), "noTarget"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "add", path: "owners", value: "X" }), "invalidPath"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "replace", path: "id", value: crypto.randomUUID() }), "mutability"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "replace", value: { id: crypto.randomUUID() } }), "mutability"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "remove", path: "displayName" }), "mutability"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "replace", path: "displayName", value: 42 }), "invalidValue"],
      ["PATCH", `/Groups/${group}`, patchBody({ op: "remove", path: "members[value eq" }), "invalidPath"],
      // A valid operation before a bad one: the whole PATCH is refused.
      ["PATCH", `/Groups/${group}`, patchBody({ op: "replace", path: "displayName", value: "Changed" }, { op: "remove", path: "members", value: [{}] }), "invalidValue"],
    ];
    for (const [method, path, body, scimType] of bad) {
      await expectRefusedUnchanged(idp, () => idp.call(method, path, body), 400, scimType);
    }
    const notJson = await idp.call("POST", "/Groups", "{not json");
    expect(notJson.status).toBe(400);
  });
});

describe("group membership through SCIM drives subscriptions in the same request", () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await identityProvider({ users: 10 });
  });

  it("a user added to a subscribed group is Pending at once; removed while Pending, the subscription is gone", async () => {
    const u = idp.t.userIds[0]!;
    const g = await createGroup(idp, "Subscribed");
    await subscribeGroup(idp.t, g, "pro");
    expect(await subscriptionOf(idp.t, u)).toMatchObject({ status: null });
    expect((await idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "Add", path: "members", value: [{ value: u }] }))).status).toBe(204);
    expect(await subscriptionOf(idp.t, u)).toMatchObject({ status: "pending", tier: "pro" });
    const entries = await auditActions(idp.t);
    expect(entries.find((e) => e.action === "subscription.group-membership" && e.targetId === u)).toMatchObject({ actorType: "scim", after: { groupId: g } });
    expect((await idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "Remove", path: `members[value eq "${u}"]` }))).status).toBe(204);
    expect(await subscriptionOf(idp.t, u)).toMatchObject({ status: null, tier: null });
  });

  it("an Active member removed from the group is Canceled", async () => {
    const u = idp.t.userIds[1]!;
    const g = await createGroup(idp, "Active people", [u]);
    await subscribeGroup(idp.t, g, "pro_plus");
    await activateAt(h, idp.t, [u], testNow);
    expect(await subscriptionOf(idp.t, u)).toMatchObject({ status: "active", tier: "pro_plus" });
    expect((await idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "remove", path: "members", value: [{ value: u }] }))).status).toBe(204);
    expect(await subscriptionOf(idp.t, u)).toMatchObject({ status: "canceled", tier: "pro_plus" });
    // Added back in the same month: restored without a second charge.
    expect((await idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "add", path: "members", value: [{ value: u }] }))).status).toBe(204);
    expect(await subscriptionOf(idp.t, u)).toMatchObject({ status: "active", tier: "pro_plus" });

    // Each membership entry carries what it did to subscriptions, as the console's member calls answer it.
    // (Entries written at one instant have no order between them: each is looked for by what it says.)
    const entries = (await auditActions(idp.t)).filter((e) => e.targetId === g);
    const adds = entries.filter((e) => e.action === "scim.group.members.add").map((e) => e.after);
    const removes = entries.filter((e) => e.action === "scim.group.members.remove");
    expect(removes).toHaveLength(1);
    expect(removes[0]).toMatchObject({ actorType: "scim", before: { removed: [u] } });
    expect(removes[0]!.after).toEqual({
      effects: [
        {
          userId: u,
          profileId: idp.t.profileId,
          outcome: { kind: "canceled", accessEndsAt: "2026-02-01T00:00:00.000Z" },
          status: "canceled",
          tier: "pro_plus",
          before: { status: "active", tier: "pro_plus" },
        },
      ],
    });
    // Created with u before it had a tier (nothing moved), then u added back (restored).
    expect(adds).toHaveLength(2);
    expect(adds).toContainEqual({ added: [u], effects: [] });
    expect(adds).toContainEqual({
      added: [u],
      effects: [{ userId: u, profileId: idp.t.profileId, outcome: { kind: "restored", tier: "pro_plus" }, status: "active", tier: "pro_plus", before: { status: "canceled", tier: "pro_plus" } }],
    });
  });

  it("a user in two subscribed groups holds the higher tier and stays subscribed when one group lets them go", async () => {
    const [pending, active] = [idp.t.userIds[2]!, idp.t.userIds[3]!];
    const pro = await createGroup(idp, "Pro people", [pending, active]);
    const power = await createGroup(idp, "Power people", [pending, active]);
    await subscribeGroup(idp.t, pro, "pro");
    await subscribeGroup(idp.t, power, "power");
    expect(await subscriptionOf(idp.t, pending)).toMatchObject({ status: "pending", tier: "power" });
    await activateAt(h, idp.t, [active], testNow);
    // Leaving the lower group changes nothing.
    expect((await idp.call("PATCH", `/Groups/${pro}`, patchBody({ op: "remove", path: `members[value eq "${pending}"]` }))).status).toBe(204);
    expect(await subscriptionOf(idp.t, pending)).toMatchObject({ status: "pending", tier: "power" });
    await idp.call("PATCH", `/Groups/${pro}`, patchBody({ op: "add", path: "members", value: [{ value: pending }] }));
    // Leaving the higher group: Pending changes tier at once, Active is downgraded on the 1st; both stay.
    const r = await idp.call("PATCH", `/Groups/${power}`, patchBody({ op: "remove", path: "members", value: [{ value: pending }, { value: active }] }));
    expect(r.status).toBe(204);
    expect(await subscriptionOf(idp.t, pending)).toMatchObject({ status: "pending", tier: "pro" });
    expect(await subscriptionOf(idp.t, active)).toMatchObject({ status: "active", tier: "power", scheduledTier: "pro" });
  });

  it("PUT with a new member list subscribes the new members and lets the others go", async () => {
    const [stays, leaves, joins] = [idp.t.userIds[4]!, idp.t.userIds[5]!, idp.t.userIds[6]!];
    const g = await createGroup(idp, "Replaced", [stays, leaves]);
    await subscribeGroup(idp.t, g, "pro");
    expect((await idp.call("PUT", `/Groups/${g}`, { schemas: [groupSchema], displayName: "Replaced", members: [{ value: stays }, { value: joins }] })).status).toBe(200);
    expect(await subscriptionOf(idp.t, stays)).toMatchObject({ status: "pending", tier: "pro" });
    expect(await subscriptionOf(idp.t, joins)).toMatchObject({ status: "pending", tier: "pro" });
    expect(await subscriptionOf(idp.t, leaves)).toMatchObject({ status: null });
    const entries = (await auditActions(idp.t)).filter((e) => e.targetId === g);
    const adds = entries.filter((e) => e.action === "scim.group.members.add").map((e) => e.after);
    expect(adds).toHaveLength(2);
    expect(adds).toContainEqual({ added: expect.arrayContaining([stays, leaves]), effects: [] });
    expect(adds).toContainEqual({
      added: [joins],
      effects: [{ userId: joins, profileId: idp.t.profileId, outcome: { kind: "subscribed", tier: "pro" }, status: "pending", tier: "pro", before: null }],
    });
    expect(entries.find((e) => e.action === "scim.group.members.remove")!.after).toEqual({
      effects: [{ userId: leaves, profileId: idp.t.profileId, outcome: { kind: "removed" }, status: null, tier: null, before: { status: "pending", tier: "pro" } }],
    });
  });

  it("DELETE /Groups/{id}: 204, memberships go, and members lose that coverage", async () => {
    const [active, pending, alsoElsewhere] = [idp.t.userIds[7]!, idp.t.userIds[8]!, idp.t.userIds[9]!];
    const g = await createGroup(idp, "Going away", [active, pending, alsoElsewhere]);
    const keep = await createGroup(idp, "Staying", [alsoElsewhere]);
    await subscribeGroup(idp.t, g, "pro");
    await subscribeGroup(idp.t, keep, "pro");
    await activateAt(h, idp.t, [active], testNow);
    const r = await idp.call("DELETE", `/Groups/${g}`);
    expect(r.status).toBe(204);
    expect((await idp.call("GET", `/Groups/${g}`)).status).toBe(404);
    const [left] = await h.database.db.select({ n: count() }).from(groupMembers).where(and(eq(groupMembers.accountId, idp.t.accountId), eq(groupMembers.groupId, g)));
    expect(left!.n).toBe(0);
    expect(await subscriptionOf(idp.t, active)).toMatchObject({ status: "canceled" });
    expect(await subscriptionOf(idp.t, pending)).toMatchObject({ status: null });
    expect(await subscriptionOf(idp.t, alsoElsewhere)).toMatchObject({ status: "pending", tier: "pro" });
    const entries = await auditActions(idp.t);
    expect(entries.find((e) => e.action === "scim.group.delete")).toMatchObject({ targetId: g, actorType: "scim", before: { displayName: "Going away", members: 3 } });
    // The one still covered by another group moved nothing, so it is in no effect record.
    const effects = (entries.find((e) => e.action === "scim.group.delete")!.after as { effects: { userId: string; outcome: { kind: string } }[] }).effects;
    expect(effects.map((e) => [e.userId, e.outcome.kind]).sort()).toEqual(
      [
        [active, "canceled"],
        [pending, "removed"],
      ].sort(),
    );
    expect((await idp.call("DELETE", `/Groups/${g}`)).status).toBe(404);
  });
});

describe("10,000 members in one PATCH", () => {
  it("are added in one transaction (chunked), each Pending at once in the subscribed group", async () => {
    const idp = await identityProvider({ users: 0 });
    const tag = crypto.randomUUID().slice(0, 8);
    const users = await h.database.db
      .insert(directoryUsers)
      .values(Array.from({ length: 10_000 }, (_, i) => ({ accountId: idp.t.accountId, userName: `bulk${i}-${tag}@example.com`, email: `bulk${i}-${tag}@example.com`, displayName: `Bulk ${i}` })))
      .returning({ id: directoryUsers.id });
    const g = await createGroup(idp, "Everyone");
    await subscribeGroup(idp.t, g, "pro");
    const r = await idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "Add", path: "members", value: users.map((u) => ({ value: u.id })) }));
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    const [members] = await h.database.db.select({ n: count() }).from(groupMembers).where(and(eq(groupMembers.accountId, idp.t.accountId), eq(groupMembers.groupId, g)));
    expect(members!.n).toBe(10_000);
    const [pending] = await h.database.db
      .select({ n: count() })
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, idp.t.accountId), eq(subscriptions.profileId, idp.t.profileId), eq(subscriptions.status, "pending"), eq(subscriptions.tier, "pro")));
    expect(pending!.n).toBe(10_000);
    // The membership entry carries the first 1,000 effect records and says how many more there were.
    const [add] = await h.database.db
      .select({ after: auditLog.after })
      .from(auditLog)
      .where(and(eq(auditLog.accountId, idp.t.accountId), eq(auditLog.action, "scim.group.members.add"), eq(auditLog.targetId, g)));
    const summary = add!.after as { added: string[]; effects: { outcome: { kind: string } }[]; effectsNotShown: number };
    expect([summary.added.length, summary.effects.length, summary.effectsNotShown]).toEqual([10_000, 1_000, 9_000]);
    expect(summary.effects.every((e) => e.outcome.kind === "subscribed")).toBe(true);
    const slim = await idp.call("GET", `/Groups?filter=${encodeURIComponent('displayName eq "everyone"')}&excludedAttributes=members`);
    expect(slim.body.Resources[0]).not.toHaveProperty("members");
    expect((await idp.call("GET", `/Groups/${g}`)).body.members).toHaveLength(10_000);

    // One unknown id among 10,000 and nothing at all is written.
    const more = users.slice(0, 9_999).map((u) => ({ value: u.id }));
    const before = await tenantFingerprint(h.database, idp.t.accountId);
    const refused = await idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "remove", path: "members" }, { op: "add", path: "members", value: [...more, { value: crypto.randomUUID() }] }));
    expect(refused.status).toBe(400);
    expect(refused.body.scimType).toBe("invalidValue");
    expect(refused.body.detail).toContain("Operations[1].value[9999].value");
    expect(await tenantFingerprint(h.database, idp.t.accountId)).toEqual(before);

    // And all of them leave in one PATCH: Pending subscriptions are removed.
    expect((await idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "remove", path: "members" }))).status).toBe(204);
    const [left] = await h.database.db
      .select({ n: count() })
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, idp.t.accountId), inArray(subscriptions.userId, users.slice(0, 2000).map((u) => u.id))));
    expect(left!.n).toBe(0);
  }, 120_000);
});

describe("concurrent identity provider calls (a real race on PostgreSQL)", () => {
  it("the same group created five times at once: one 201, four 409 uniqueness, one group", async () => {
    const idp = await identityProvider({ users: 0 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => idp.call("POST", "/Groups", { schemas: [groupSchema], displayName: "Race" })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body).toMatchObject({ schemas: [errorSchema], scimType: "uniqueness" });
    expect((await idp.call("GET", "/Groups")).body.totalResults).toBe(1);
  });

  it("two groups renamed to the same name at once: one wins, the other is 409 uniqueness", async () => {
    const idp = await identityProvider({ users: 0 });
    const [a, b] = [await createGroup(idp, "A"), await createGroup(idp, "B")];
    const answers = await Promise.all([a, b].map((id) => idp.call("PATCH", `/Groups/${id}`, patchBody({ op: "replace", path: "displayName", value: "Same" }))));
    expect(answers.map((x) => x.status).sort()).toEqual([204, 409]);
    expect(answers.find((x) => x.status === 409)!.body).toMatchObject({ scimType: "uniqueness" });
  });

  it("concurrent PATCHes adding different members to one group all land", async () => {
    const idp = await identityProvider({ users: 6 });
    const g = await createGroup(idp, "Busy");
    await subscribeGroup(idp.t, g, "pro");
    const answers = await Promise.all(idp.t.userIds.map((u) => idp.call("PATCH", `/Groups/${g}`, patchBody({ op: "Add", path: "members", value: [{ value: u }] }))));
    expect(answers.map((x) => x.status)).toEqual(idp.t.userIds.map(() => 204));
    expect(await memberValues(idp, g)).toEqual([...idp.t.userIds].sort());
    for (const u of idp.t.userIds) expect(await subscriptionOf(idp.t, u)).toMatchObject({ status: "pending", tier: "pro" });
  });
});

describe("tenant isolation", () => {
  it("one account's token neither sees nor changes another account's groups: 404, nothing changed", async () => {
    const a = await identityProvider({ users: 3 });
    const b = await identityProvider({ users: 3 });
    const theirs = await createGroup(a, "Secret", [a.t.userIds[0]!]);
    await createGroup(b, "Secret");
    const before = await tenantFingerprint(h.database, a.t.accountId);
    expect((await b.call("GET", `/Groups/${theirs}`)).status).toBe(404);
    const listed = await b.call("GET", "/Groups");
    expect(listed.body.totalResults).toBe(1);
    expect(JSON.stringify(listed.body)).not.toContain(theirs);
    expect((await b.call("GET", `/Groups?filter=${encodeURIComponent(`id eq "${theirs}"`)}`)).body.totalResults).toBe(0);
    for (const [method, body] of [
      ["PATCH", patchBody({ op: "add", path: "members", value: [{ value: b.t.userIds[0] }] })],
      ["PATCH", patchBody({ op: "remove", path: "members" })],
      ["PUT", { schemas: [groupSchema], displayName: "Mine now", members: [] }],
      ["DELETE", undefined],
    ] as const) {
      const r = await b.call(method, `/Groups/${theirs}`, body);
      expect(r.status, method).toBe(404);
      expect(r.body).toMatchObject({ schemas: [errorSchema], status: "404" });
    }
    // Nor can B put A's users in its own group.
    const own = (await b.call("GET", `/Groups?filter=${encodeURIComponent('displayName eq "Secret"')}`)).body.Resources[0].id;
    expect((await b.call("PATCH", `/Groups/${own}`, patchBody({ op: "add", path: "members", value: [{ value: a.t.userIds[1] }] }))).status).toBe(400);
    expect(await tenantFingerprint(h.database, a.t.accountId)).toEqual(before);
  });
});
