import { randomUUID } from "node:crypto";
import { and, count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, auditLog, directoryUsers, groupMembers, notices, subscriptions } from "@seatdesk/db";
import { parseFilter } from "../src/scim/common";
import { matchesUser, userFilterSql } from "../src/scim/user-filter";
import { maxFilterScan } from "../src/scim/users";
import { scimUsersWhere } from "../src/services/scim-users";
import { activateAt, addMembers, callerAs, harnessForFile, makeTenant, testNow, type Tenant } from "./harness";
import { listen, makeScimToken, scim } from "./scim-helpers";

/** Issue 8: /scim/v2/Users as Okta and Microsoft Entra ID drive it, and what it does to subscriptions. */
const h = harnessForFile({ resetClock: true });
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ url: base, close } = await listen(h));
});
afterAll(() => close());

const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
const listSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An account with a SCIM token, and a SCIM client bound to it. */
async function scimTenant(options: { users?: number; groups?: number } = {}) {
  const t = await makeTenant(h, { users: options.users ?? 0, groups: options.groups ?? 0 });
  const token = await makeScimToken(h, t);
  const call = (method: string, path: string, body?: unknown) => scim(base, token.token, method, path, body);
  return { t, token, call };
}

/** A user body the way Okta's SCIM 2.0 test sends one. */
const oktaUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [userSchema],
  userName,
  name: { givenName: "Ada", familyName: "Lovelace" },
  emails: [{ primary: true, value: userName, type: "work" }],
  displayName: "Ada Lovelace",
  locale: "en-US",
  externalId: `okta-${userName}`,
  groups: [],
  password: "never-stored-1!",
  active: true,
  ...extra,
});

const patch = (...Operations: unknown[]) => ({ schemas: [patchSchema], Operations });
const q = (filter: string, more = "") => `/Users?filter=${encodeURIComponent(filter)}${more}`;
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;

async function userCount(accountId: string) {
  return (await h.database.db.select({ n: count() }).from(directoryUsers).where(eq(directoryUsers.accountId, accountId)))[0]!.n;
}
async function auditCount(accountId: string) {
  return (await h.database.db.select({ n: count() }).from(auditLog).where(eq(auditLog.accountId, accountId)))[0]!.n;
}
async function subscriptionOf(t: Tenant, userId: string) {
  const [row] = await h.database.db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId), eq(subscriptions.userId, userId)));
  return row ?? null;
}
async function usersTabRow(t: Tenant, userId: string, status?: "ended" | "canceled" | "pending" | "active") {
  const page = await callerAs(h, t.admins.viewer).subscriptions.list({ profileId: t.profileId, limit: 200, ...(status ? { status } : {}) });
  return page.rows.find((r) => r.userId === userId) ?? null;
}

describe("the Okta SCIM 2.0 CRUD sequence", () => {
  it("list by userName, create, get, duplicate, replace, deactivate, unknown id", async () => {
    const { call } = await scimTenant();
    const userName = unique("okta");

    const empty = await call("GET", q(`userName eq "${userName}"`, "&startIndex=1&count=100"));
    expect(empty.status).toBe(200);
    expect(empty.contentType).toMatch(/^application\/scim\+json/);
    expect(empty.body).toEqual({ schemas: [listSchema], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await call("POST", "/Users", oktaUser(userName));
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    expect(id).toMatch(uuid);
    expect(created.location).toBe(`${base}/scim/v2/Users/${id}`);
    expect(created.body).toMatchObject({
      schemas: [userSchema],
      userName,
      externalId: `okta-${userName}`,
      name: { givenName: "Ada", familyName: "Lovelace" },
      displayName: "Ada Lovelace",
      emails: [{ primary: true, value: userName, type: "work" }],
      locale: "en-US",
      active: true,
      groups: [],
      meta: { resourceType: "User", location: created.location, created: testNow.toISOString(), lastModified: testNow.toISOString() },
    });
    expect(created.body).not.toHaveProperty("password");

    const got = await call("GET", `/Users/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const found = await call("GET", q(`userName eq "${userName.toUpperCase()}"`));
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].id).toBe(id);

    const duplicate = await call("POST", "/Users", oktaUser(userName.toUpperCase()));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ schemas: [errorSchema], status: "409", scimType: "uniqueness" });
    expect(duplicate.body.detail).toContain("userName");

    h.clock.set(new Date(testNow.getTime() + 60_000));
    const replaced = await call("PUT", `/Users/${id}`, oktaUser(userName, { name: { givenName: "Augusta", familyName: "King" }, displayName: undefined, title: "Countess" }));
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, userName, name: { givenName: "Augusta", familyName: "King" }, displayName: "Augusta King", title: "Countess", active: true });
    expect(replaced.body.meta.lastModified).toBe(new Date(testNow.getTime() + 60_000).toISOString());
    expect((await call("GET", `/Users/${id}`)).body).toEqual(replaced.body);

    const deactivated = await call("PATCH", `/Users/${id}`, patch({ op: "replace", value: { active: false } }));
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await call("GET", `/Users/${id}`)).body.active).toBe(false);

    for (const unknown of [randomUUID(), "not-a-uuid"]) {
      const missing = await call("GET", `/Users/${unknown}`);
      expect(missing.status).toBe(404);
      expect(missing.contentType).toMatch(/^application\/scim\+json/);
      expect(missing.body).toMatchObject({ schemas: [errorSchema], status: "404" });
    }
  });

  it("deactivates with Entra's string boolean and reactivates", async () => {
    const { call } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("entra")));
    const off = await call("PATCH", `/Users/${body.id}`, patch({ op: "Replace", path: "active", value: "False" }));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    const on = await call("PATCH", `/Users/${body.id}`, patch({ op: "Replace", path: "active", value: "True" }));
    expect(on.body.active).toBe(true);
    const nonsense = await call("PATCH", `/Users/${body.id}`, patch({ op: "Replace", path: "active", value: "maybe" }));
    expect(nonsense.status).toBe(400);
    expect(nonsense.body).toMatchObject({ scimType: "invalidValue" });
    expect(nonsense.body.detail).toContain("active");
  });

  it("pages with startIndex and count: totalResults counts them all, every user once", async () => {
    const { call } = await scimTenant({ users: 3 });
    for (let i = 0; i < 4; i++) expect((await call("POST", "/Users", oktaUser(unique(`page${i}`)))).status).toBe(201);
    const seen: string[] = [];
    for (const start of [1, 4, 7]) {
      const page = await call("GET", `/Users?startIndex=${start}&count=3`);
      expect(page.body).toMatchObject({ schemas: [listSchema], totalResults: 7, startIndex: start, itemsPerPage: start === 7 ? 1 : 3 });
      expect(page.body.Resources).toHaveLength(page.body.itemsPerPage);
      seen.push(...page.body.Resources.map((r: { id: string }) => r.id));
    }
    expect(new Set(seen).size).toBe(7);
    const past = await call("GET", "/Users?startIndex=8&count=3");
    expect(past.body).toMatchObject({ totalResults: 7, startIndex: 8, itemsPerPage: 0, Resources: [] });
    const countOnly = await call("GET", "/Users?count=0");
    expect(countOnly.body).toMatchObject({ totalResults: 7, itemsPerPage: 0, Resources: [] });
    // A user added by hand in the console is a SCIM user too, with its name and e-mail.
    const byHand = (await call("GET", "/Users?count=100")).body.Resources.find((r: { userName: string }) => r.userName.startsWith("user0-"));
    expect(byHand).toMatchObject({ displayName: "User 00000", emails: [{ value: byHand.userName, primary: true }], active: true });
  });
});

describe("Microsoft Entra ID behaviours", () => {
  it("applies capitalised ops with paths, value filters and the enterprise extension", async () => {
    const { call } = await scimTenant();
    const userName = unique("entra");
    const { body } = await call("POST", "/Users", {
      schemas: [userSchema, enterprise],
      userName,
      externalId: "0a1b",
      active: true,
      name: { givenName: "Grace", familyName: "Hopper" },
      emails: [{ value: userName, type: "work", primary: true }],
      [enterprise]: { department: "Navy" },
    });
    expect(body.schemas).toEqual([userSchema, enterprise]);
    const r = await call(
      "PATCH",
      `/Users/${body.id}`,
      patch(
        { op: "Replace", path: "displayName", value: "Rear Admiral Hopper" },
        { op: "Replace", path: "name.givenName", value: "Amazing Grace" },
        { op: "Add", path: 'emails[type eq "work"].value', value: `new-${userName}` },
        { op: "Add", path: `${enterprise}:employeeNumber`, value: "1906" },
        { op: "Remove", path: `${enterprise}:department` },
        { op: "Add", path: "PhoneNumbers", value: [{ value: "+1 555 0100", type: "work" }] },
      ),
    );
    expect(r.status).toBe(200);
    const got = (await call("GET", `/Users/${body.id}`)).body;
    expect(got).toMatchObject({
      displayName: "Rear Admiral Hopper",
      name: { givenName: "Amazing Grace", familyName: "Hopper" },
      emails: [{ value: `new-${userName}`, type: "work", primary: true }],
      phoneNumbers: [{ value: "+1 555 0100", type: "work" }],
      [enterprise]: { employeeNumber: "1906" },
    });
    expect(got[enterprise]).not.toHaveProperty("department");
    // The e-mail the console shows follows the primary e-mail.
    const [row] = await h.database.db.select().from(directoryUsers).where(eq(directoryUsers.id, body.id));
    expect(row).toMatchObject({ email: `new-${userName}`, displayName: "Rear Admiral Hopper" });
  });

  it("adds a work e-mail to a user who had none, the way Entra sends it", async () => {
    const { call } = await scimTenant();
    const userName = unique("noemail");
    const { body } = await call("POST", "/Users", { schemas: [userSchema], userName, active: true });
    expect(body).not.toHaveProperty("emails");
    expect(body.displayName).toBe(userName);
    const r = await call("PATCH", `/Users/${body.id}`, patch({ op: "Add", path: 'emails[type eq "work"].value', value: "work@example.com" }));
    expect(r.status).toBe(200);
    expect(r.body.emails).toEqual([{ type: "work", value: "work@example.com" }]);
    const [row] = await h.database.db.select().from(directoryUsers).where(eq(directoryUsers.id, body.id));
    expect(row!.email).toBe("work@example.com");
  });

  it("answers and / or / co / sw / pr / externalId / emails filters, in SQL and in memory alike", async () => {
    const { call } = await scimTenant({ users: 2 });
    const a = (await call("POST", "/Users", oktaUser("alice@corp.example", { externalId: "ext-A", title: "Engineer", [enterprise]: { department: "Sales" } }))).body;
    const b = (await call("POST", "/Users", oktaUser("bob@corp.example", { externalId: "ext-b", name: { givenName: "Bob", familyName: "Byte" }, displayName: undefined }))).body;
    await call("PATCH", `/Users/${b.id}`, patch({ op: "replace", path: "active", value: false }));
    const everyone: Record<string, unknown>[] = (await call("GET", "/Users?count=1000")).body.Resources;
    expect(everyone).toHaveLength(4);
    const ids = async (filter: string) => {
      const r = await call("GET", q(filter));
      expect(r.status, filter).toBe(200);
      expect(r.body.totalResults, filter).toBe(r.body.Resources.length);
      const found = r.body.Resources.map((u: { id: string }) => u.id).sort();
      // The in-memory evaluation says the same as the SQL one.
      const inMemory = everyone.filter((u) => matchesUser(u, parseFilter(filter)!)).map((u) => u.id as string).sort();
      expect(inMemory, filter).toEqual(found);
      return found;
    };
    const both = [a.id, b.id].sort();
    expect(await ids('userName eq "ALICE@corp.example" and active eq true')).toEqual([a.id]);
    expect(await ids('userName eq "bob@corp.example" and active eq true')).toEqual([]);
    expect(await ids('userName eq "alice@corp.example" or userName eq "bob@corp.example"')).toEqual(both);
    expect(await ids('userName co "@CORP."')).toEqual(both);
    expect(await ids('userName sw "bo"')).toEqual([b.id]);
    expect(await ids('userName ew ".example" and not (active eq false) and userName co "corp"')).toEqual([a.id]);
    expect(await ids("title pr")).toEqual([a.id]);
    expect(await ids('externalId eq "ext-A"')).toEqual([a.id]);
    expect(await ids('externalId eq "ext-a"')).toEqual([]); // externalId is caseExact
    expect(await ids('emails.value eq "BOB@corp.example"')).toEqual([b.id]);
    expect(await ids('emails[type eq "work" and value sw "alice"]')).toEqual([a.id]);
    expect(await ids('displayName eq "bob byte"')).toEqual([b.id]);
    expect(await ids('name.familyName eq "Lovelace"')).toEqual([a.id]);
    expect(await ids(`id eq "${a.id}"`)).toEqual([a.id]);
    expect(await ids('id eq "not-an-id"')).toEqual([]);
    expect(await ids(`meta.created ge "${testNow.toISOString()}" and userName co "corp"`)).toEqual(both);
    // Only in memory: the enterprise extension, and groups.
    expect(await ids(`${enterprise}:department eq "sales"`)).toEqual([a.id]);
    expect(await ids(`userName co "corp" and ${enterprise}:department pr`)).toEqual([a.id]);
    expect(await ids(`${enterprise}:department eq "Sales" or userName sw "bob"`)).toEqual(both);
    expect(await ids("groups pr")).toEqual([]);
    const paged = await call("GET", q('userName co "corp" and not (groups pr)', "&startIndex=2&count=1"));
    expect(paged.body).toMatchObject({ totalResults: 2, startIndex: 2, itemsPerPage: 1 });
  });

  it("probing with random ids is 404 in the error schema for every method", async () => {
    const { call } = await scimTenant();
    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      const body = method === "PUT" ? oktaUser(unique("probe")) : method === "PATCH" ? patch({ op: "Replace", path: "active", value: "False" }) : undefined;
      const r = await call(method, `/Users/${randomUUID()}`, body);
      expect(r.status, method).toBe(404);
      expect(r.body, method).toMatchObject({ schemas: [errorSchema], status: "404" });
    }
  });
});

describe("attributes and excludedAttributes", () => {
  it("attributes=userName returns only id, schemas, meta and userName; excludedAttributes=emails drops emails", async () => {
    const { call } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("attrs")));
    const only = await call("GET", `/Users/${body.id}?attributes=userName`);
    expect(Object.keys(only.body).sort()).toEqual(["id", "meta", "schemas", "userName"]);
    const listed = await call("GET", `${q(`userName eq "${body.userName}"`)}&attributes=userName`);
    expect(Object.keys(listed.body.Resources[0]).sort()).toEqual(["id", "meta", "schemas", "userName"]);
    const without = await call("GET", `/Users/${body.id}?excludedAttributes=emails`);
    expect(without.body).not.toHaveProperty("emails");
    expect(without.body).toMatchObject({ userName: body.userName, name: body.name, active: true });
  });
});

describe("effects on subscriptions, through the console API", () => {
  it("deactivated: Canceled with access ended at once and a notice; reactivated the same month: Active again (edge case 10)", async () => {
    const { t, call, token } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("sub")));
    const owner = callerAs(h, t.admins.owner);
    await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [body.id], tier: "pro_plus" });
    await activateAt(h, t, [body.id], testNow);
    expect(await usersTabRow(t, body.id)).toMatchObject({ status: "active", tier: "pro_plus" });

    h.clock.set(new Date(testNow.getTime() + 3_600_000));
    const off = await call("PATCH", `/Users/${body.id}`, patch({ op: "replace", value: { active: false } }));
    expect(off.status).toBe(200);
    const at = h.clock.now();
    // DESIGN.md §2: a person the identity provider deactivated has left, so access ends at once whatever cancelAccess says.
    expect(await subscriptionOf(t, body.id)).toMatchObject({ status: "canceled", tier: "pro_plus", accessEndsAt: at });
    expect(await usersTabRow(t, body.id)).toMatchObject({ status: null, directoryActive: false });
    expect(await usersTabRow(t, body.id, "ended")).not.toBeNull();
    const page = await callerAs(h, t.admins.viewer).subscriptions.user({ profileId: t.profileId, userId: body.id });
    expect(page.notices).toEqual([expect.objectContaining({ kind: "idp-deactivated", period: "2026-01" })]);
    expect(page.notices[0]!.detail).toMatch(/identity provider deactivated .*Pro\+ subscription is canceled/);

    const audit = await callerAs(h, t.admins.viewer).audit.list({ targetId: body.id });
    const actions = audit.entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["scim.user.create", "scim.user.deactivate", "subscription.changed"]));
    const deactivate = audit.entries.find((e) => e.action === "scim.user.deactivate")!;
    expect(deactivate.actor).toEqual({ type: "scim", id: token.id, label: 'SCIM token "identity provider"' });
    expect(deactivate).toMatchObject({ before: { active: true }, after: { active: false } });
    // The entry says what the change did to each subscription, as the console's member calls answer it.
    expect((deactivate.after as { effects: unknown }).effects).toEqual([
      {
        userId: body.id,
        profileId: t.profileId,
        outcome: { kind: "canceled", accessEndsAt: at.toISOString() },
        status: "canceled",
        tier: "pro_plus",
        before: { status: "active", tier: "pro_plus" },
      },
    ]);
    // The SCIM answer stays the plain RFC 7643 User, the same as a GET of it.
    expect(off.body).toEqual((await call("GET", `/Users/${body.id}`)).body);
    expect(off.body).not.toHaveProperty("effects");

    h.clock.set(new Date(testNow.getTime() + 7_200_000));
    const on = await call("PATCH", `/Users/${body.id}`, patch({ op: "Replace", path: "active", value: "True" }));
    expect(on.status).toBe(200);
    expect(on.body).not.toHaveProperty("effects");
    // Their direct assignment covers them again, in the month they lost access: restored Active, not charged twice.
    expect(await usersTabRow(t, body.id)).toMatchObject({ status: "active", tier: "pro_plus", source: { direct: "pro_plus" } });
    const reactivate = (await callerAs(h, t.admins.viewer).audit.list({ action: "scim.user.reactivate" })).entries;
    expect(reactivate).toHaveLength(1);
    expect(reactivate[0]!.after).toMatchObject({
      active: true,
      effects: [{ userId: body.id, profileId: t.profileId, outcome: { kind: "restored", tier: "pro_plus" }, status: "active", tier: "pro_plus", before: { status: "canceled", tier: "pro_plus" } }],
    });
  });

  it("reactivated in a later month: the ended subscription starts Pending again; the audit says so", async () => {
    const { t, call } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("later")));
    await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [body.id], tier: "pro" });
    await activateAt(h, t, [body.id], testNow);
    await call("PATCH", `/Users/${body.id}`, patch({ op: "replace", value: { active: false } }));
    h.clock.set(new Date(Date.UTC(2026, 1, 3, 9)));
    await call("PATCH", `/Users/${body.id}`, patch({ op: "replace", value: { active: true } }));
    expect(await usersTabRow(t, body.id)).toMatchObject({ status: "pending", tier: "pro" });
    const [entry] = (await callerAs(h, t.admins.viewer).audit.list({ action: "scim.user.reactivate" })).entries;
    expect((entry!.after as { effects: unknown }).effects).toEqual([
      { userId: body.id, profileId: t.profileId, outcome: { kind: "subscribed", tier: "pro" }, status: "pending", tier: "pro", before: { status: "canceled", tier: "pro" } },
    ]);
  });

  it("a change that moves no subscription audits no subscription: a deactivation with nothing subscribed has no effects", async () => {
    const { t, call } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("none")));
    const before = await auditCount(t.accountId);
    await call("PATCH", `/Users/${body.id}`, patch({ op: "replace", value: { active: false } }));
    const entries = (await callerAs(h, t.admins.viewer).audit.list({ targetId: body.id })).entries;
    expect(await auditCount(t.accountId)).toBe(before + 1);
    expect(entries.map((e) => e.action).sort()).toEqual(["scim.user.create", "scim.user.deactivate"]);
    expect(entries.find((e) => e.action === "scim.user.deactivate")).toMatchObject({ after: { active: false, effects: [] } });
  });

  it("a Pending subscription of a deactivated user is removed; their group brings it back on reactivation", async () => {
    const { t, call } = await scimTenant({ groups: 1 });
    const { body } = await call("POST", "/Users", oktaUser(unique("grp")));
    await addMembers(h, t, t.groupIds[0]!, [body.id]);
    await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, groupIds: [t.groupIds[0]!], tier: "pro" });
    expect(await usersTabRow(t, body.id)).toMatchObject({ status: "pending", tier: "pro" });
    expect((await call("GET", `/Users/${body.id}`)).body.groups).toEqual([
      { value: t.groupIds[0], display: "Group 0", $ref: `${base}/scim/v2/Groups/${t.groupIds[0]}` },
    ]);

    await call("PATCH", `/Users/${body.id}`, patch({ op: "Replace", path: "active", value: "False" }));
    expect(await subscriptionOf(t, body.id)).toBeNull();
    const [notice] = await h.database.db.select().from(notices).where(and(eq(notices.accountId, t.accountId), eq(notices.userId, body.id)));
    expect(notice).toMatchObject({ profileId: t.profileId, kind: "idp-deactivated", period: "2026-01" });
    expect(notice!.detail).toContain("Pending Pro subscription was removed");

    await call("PATCH", `/Users/${body.id}`, patch({ op: "replace", value: { active: true } }));
    expect(await usersTabRow(t, body.id)).toMatchObject({ status: "pending", tier: "pro", source: { groups: [{ groupId: t.groupIds[0] }] } });
  });

  it("deleted: 404 from then on, Canceled, memberships and direct assignments gone, the user name free again", async () => {
    const { t, call } = await scimTenant({ groups: 1 });
    const userName = unique("gone");
    const { body } = await call("POST", "/Users", oktaUser(userName));
    await addMembers(h, t, t.groupIds[0]!, [body.id]);
    await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [body.id], tier: "power" });
    await activateAt(h, t, [body.id], testNow);

    const deleted = await call("DELETE", `/Users/${body.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect((await call("GET", `/Users/${body.id}`)).status).toBe(404);
    expect((await call("DELETE", `/Users/${body.id}`)).status).toBe(404);
    expect((await call("GET", q(`userName eq "${userName}"`))).body.totalResults).toBe(0);
    expect(await subscriptionOf(t, body.id)).toMatchObject({ status: "canceled", tier: "power", accessEndsAt: testNow });
    expect(await usersTabRow(t, body.id)).toBeNull();
    const db = h.database.db;
    expect(await db.select().from(groupMembers).where(and(eq(groupMembers.accountId, t.accountId), eq(groupMembers.userId, body.id)))).toEqual([]);
    expect(await db.select().from(assignments).where(and(eq(assignments.accountId, t.accountId), eq(assignments.userId, body.id)))).toEqual([]);
    const [notice] = await db.select().from(notices).where(and(eq(notices.accountId, t.accountId), eq(notices.userId, body.id)));
    expect(notice).toMatchObject({ kind: "idp-deleted", period: "2026-01" });
    expect(notice!.detail).toContain("identity provider deleted");
    const audit = await callerAs(h, t.admins.viewer).audit.list({ action: "scim.user.delete" });
    expect(audit.entries).toEqual([expect.objectContaining({ targetId: body.id, before: expect.objectContaining({ userName, groupIds: [t.groupIds[0]] }) })]);

    const again = await call("POST", "/Users", oktaUser(userName));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(body.id);
  });

  it("renamed by PUT or PATCH: the same subscription, tier and status unchanged", async () => {
    const { t, call } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("rename")));
    await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [body.id], tier: "pro" });
    await activateAt(h, t, [body.id], testNow);
    const before = await subscriptionOf(t, body.id);

    const newName = unique("renamed");
    const put = await call("PUT", `/Users/${body.id}`, oktaUser(newName, { displayName: "Ada King" }));
    expect(put.body).toMatchObject({ id: body.id, userName: newName, displayName: "Ada King" });
    const patched = await call("PATCH", `/Users/${body.id}`, patch({ op: "Replace", path: "userName", value: `x${newName}` }));
    expect(patched.body).toMatchObject({ id: body.id, userName: `x${newName}` });
    expect(await subscriptionOf(t, body.id)).toEqual(before);
    expect(await usersTabRow(t, body.id)).toMatchObject({ status: "active", tier: "pro", displayName: "Ada King", email: newName });

    // Renaming onto another user's name is a conflict, whatever its case, and changes nothing.
    const other = (await call("POST", "/Users", oktaUser(unique("other")))).body;
    const clash = await call("PATCH", `/Users/${body.id}`, patch({ op: "replace", path: "userName", value: other.userName.toUpperCase() }));
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ scimType: "uniqueness" });
    expect((await call("GET", `/Users/${body.id}`)).body.userName).toBe(`x${newName}`);
  });

  it("a write that changes nothing writes nothing, not even an audit entry", async () => {
    const { t, call } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("same")));
    const audits = await auditCount(t.accountId);
    const again = await call("PATCH", `/Users/${body.id}`, patch({ op: "replace", value: { active: true, displayName: "Ada Lovelace" } }));
    expect(again.status).toBe(200);
    expect(again.body.meta).toEqual(body.meta);
    expect(await auditCount(t.accountId)).toBe(audits);
  });
});

describe("tenant isolation", () => {
  it("one account's token cannot see or change another account's user", async () => {
    const a = await scimTenant();
    const b = await scimTenant();
    const userName = unique("iso");
    const theirs = (await b.call("POST", "/Users", oktaUser(userName))).body;
    const path = `/Users/${theirs.id}`;
    expect((await a.call("GET", path)).status).toBe(404);
    expect((await a.call("PUT", path, oktaUser(userName, { active: false }))).status).toBe(404);
    expect((await a.call("PATCH", path, patch({ op: "replace", value: { active: false } }))).status).toBe(404);
    expect((await a.call("DELETE", path)).status).toBe(404);
    expect((await a.call("GET", q(`userName eq "${userName}"`))).body.totalResults).toBe(0);
    expect((await a.call("GET", q(`id eq "${theirs.id}"`))).body.totalResults).toBe(0);
    expect((await a.call("GET", "/Users")).body.totalResults).toBe(0);
    expect((await b.call("GET", path)).body).toEqual(theirs);
    // User names are unique per account, not across accounts.
    expect((await a.call("POST", "/Users", oktaUser(userName))).status).toBe(201);
  });

  it("concurrent creates of one user name: exactly one wins, the others are 409 uniqueness", async () => {
    const { t, call } = await scimTenant();
    const userName = unique("race");
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call("POST", "/Users", oktaUser(i % 2 ? userName.toUpperCase() : userName))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.scimType === "uniqueness")).toBe(true);
    expect(await userCount(t.accountId)).toBe(1);
  });

  it("a revoked token is 401", async () => {
    const { t, token, call } = await scimTenant();
    expect((await call("GET", "/Users")).status).toBe(200);
    await callerAs(h, t.admins.owner).scimTokens.revoke({ tokenId: token.id });
    const r = await call("POST", "/Users", oktaUser(unique("revoked")));
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ schemas: [errorSchema], status: "401" });
    expect(await userCount(t.accountId)).toBe(0);
  });
});

describe("bad requests get SCIM errors and write nothing", () => {
  it("bodies, filters and PATCH operations", async () => {
    const { t, call } = await scimTenant({ users: 2 });
    const { body } = await call("POST", "/Users", oktaUser(unique("keep")));
    const users = await userCount(t.accountId);
    const audits = await auditCount(t.accountId);
    const bad: [string, string, unknown, string, string][] = [
      ["POST", "/Users", { ...oktaUser(unique("x")), schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"] }, "invalidValue", "schemas"],
      ["POST", "/Users", { schemas: [userSchema], name: { givenName: "No" } }, "invalidValue", "userName"],
      ["POST", "/Users", oktaUser("   "), "invalidValue", "userName"],
      ["POST", "/Users", oktaUser(unique("x"), { emails: "not a list" }), "invalidValue", "emails"],
      ["POST", "/Users", oktaUser(unique("x"), { emails: [{ value: "a@x", primary: true }, { value: "b@x", primary: true }] }), "invalidValue", "primary"],
      ["POST", "/Users", oktaUser(unique("x"), { active: "perhaps" }), "invalidValue", "active"],
      ["POST", "/Users", oktaUser(unique("x"), { title: "nul\u0000byte" }), "invalidValue", "NUL"],
      ["POST", "/Users", "{not json", "invalidSyntax", "JSON"],
      ["PUT", `/Users/${body.id}`, { schemas: [userSchema], displayName: "No user name" }, "invalidValue", "userName"],
      ["PATCH", `/Users/${body.id}`, { Operations: [{ op: "replace", path: "active", value: false }] }, "invalidValue", "schemas"],
      ["PATCH", `/Users/${body.id}`, patch({ op: "frobnicate", path: "active", value: false }), "invalidValue", "Operations.0.op"],
      ["PATCH", `/Users/${body.id}`, patch({ op: "remove" }), "noTarget", "Operations.0.path"],
      ["PATCH", `/Users/${body.id}`, patch({ op: "replace", path: "groups", value: [] }), "mutability", "groups"],
      ["PATCH", `/Users/${body.id}`, patch({ op: "replace", path: "emails[type eq]", value: "x" }), "invalidPath", "Operations.0"],
      // The first operation would apply; the second fails, so neither is written.
      ["PATCH", `/Users/${body.id}`, patch({ op: "replace", path: "active", value: false }, { op: "remove", path: "userName" }), "invalidValue", "userName"],
      ["GET", q('userName eq "unterminated'), undefined, "invalidFilter", "filter"],
      ["GET", q("userName eq"), undefined, "invalidFilter", "filter"],
      ["GET", q("active gt true"), undefined, "invalidFilter", "active"],
      ["GET", q('meta.created gt "yesterday"'), undefined, "invalidFilter", "meta.created"],
    ];
    for (const [method, path, payload, scimType, names] of bad) {
      const r = await call(method, path, payload);
      const label = `${method} ${path} ${JSON.stringify(payload)}`;
      expect(r.status, label).toBe(400);
      expect(r.contentType, label).toMatch(/^application\/scim\+json/);
      expect(r.body, label).toMatchObject({ schemas: [errorSchema], status: "400", scimType });
      expect(r.body.detail, label).toContain(names);
      expect(r.body.detail, label).not.toMatch(/select|insert|update|at .*\.ts/i);
    }
    expect(await userCount(t.accountId)).toBe(users);
    expect(await auditCount(t.accountId)).toBe(audits);
    expect((await call("GET", `/Users/${body.id}`)).body).toEqual(body);
  });

  it("methods a collection or a resource does not take are 405", async () => {
    const { call } = await scimTenant();
    expect((await call("DELETE", "/Users")).status).toBe(405);
    expect((await call("POST", `/Users/${randomUUID()}`, oktaUser(unique("x")))).status).toBe(405);
  });

  it("POST /Users/.search takes the query in a body", async () => {
    const { call } = await scimTenant();
    const { body } = await call("POST", "/Users", oktaUser(unique("search")));
    const r = await call("POST", "/Users/.search", {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
      filter: `userName eq "${body.userName}"`,
      attributes: ["userName"],
      startIndex: 1,
      count: 10,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ totalResults: 1, Resources: [{ id: body.id, userName: body.userName }] });
    expect(r.body.Resources[0]).not.toHaveProperty("emails");
  });
});

describe("at 20,000 users", () => {
  let big: Awaited<ReturnType<typeof scimTenant>>;
  beforeAll(async () => {
    big = await scimTenant();
    await h.database.db.execute(sql`
      insert into directory_users (account_id, user_name, email, display_name, created_at)
      select ${big.t.accountId}::uuid, 'u' || g || '@big.example', 'u' || g || '@big.example', 'Person ' || lpad(g::text, 6, '0'), ${testNow.toISOString()}::timestamptz
      from generate_series(1, 20000) g`);
    await h.database.db.execute(sql`analyze directory_users`);
  }, 120_000);

  it("userName eq, the lookup before every create, is read through the (account, lower(user_name)) index", async () => {
    const r = await big.call("GET", q('userName eq "U12345@big.example"'));
    expect(r.body).toMatchObject({ totalResults: 1, Resources: [{ userName: "u12345@big.example", displayName: "Person 012345" }] });
    const query = h.database.db
      .select({ id: directoryUsers.id })
      .from(directoryUsers)
      .where(scimUsersWhere(big.t.accountId, userFilterSql(parseFilter('userName eq "u12345@big.example"')!)));
    const result = await h.database.db.execute(sql`explain ${query}`);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, string>[];
    const plan = rows.map((row) => Object.values(row)[0]).join("\n");
    expect(plan).toMatch(/directory_users_user_name_uq/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it("a filter only memory can answer is refused past the bound, and answered when SQL narrows it first", async () => {
    expect(maxFilterScan).toBeLessThan(20_000);
    const wide = await big.call("GET", q(`${enterprise}:department pr`));
    expect(wide.status).toBe(400);
    expect(wide.body).toMatchObject({ schemas: [errorSchema], scimType: "tooMany" });
    expect(wide.body.detail).toContain("userName");
    const narrow = await big.call("GET", q(`userName sw "u1999" and not (${enterprise}:department pr)`, "&count=5"));
    expect(narrow.status).toBe(200);
    expect(narrow.body).toMatchObject({ totalResults: 11, itemsPerPage: 5 });
    const paged = await big.call("GET", "/Users?startIndex=19996&count=10");
    expect(paged.body).toMatchObject({ totalResults: 20000, startIndex: 19996, itemsPerPage: 5 });
  });
});
