import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * Issue 8 in the console, in a real browser against the real server and its seeded demo: an owner makes a
 * SCIM token in Settings (shown once), an identity provider uses it over HTTP (provisioning a person and a
 * group whose members are subscribed at once), Directory sync shows that every member is covered, and
 * revoking the token closes /scim/v2 to it. Then an admin and a viewer see what they may. The steps run
 * in order on one signed-in page, as a person would work through them.
 */

let c: Console;
let page: Page;
let profileId: string;
/** The token as the dialog showed it, once. */
let token = "";
const tokenName = "Okta production";
const scimType = "application/scim+json";
const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ada = { userName: "ada.scim@northwind.example", displayName: "Ada Provisioned" };
const ben = { userName: "ben.scim@northwind.example", displayName: "Ben Provisioned" };
const groupName = "SCIM Pilots";

/** The console API as the signed-in page calls it (same cookie, same origin). */
async function api<T>(path: string, input?: unknown): Promise<T> {
  const res = await page.request.get(`/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
async function post<T>(path: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/trpc/${path}`, { data: input, headers: { "content-type": "application/json", origin: c.server.url } });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

/** A SCIM call as an identity provider makes it: from outside the browser (no console cookie), with the bearer token or none. */
interface ScimAnswer {
  status: number;
  contentType: string;
  body: Record<string, unknown> | null;
}
async function scim(method: "GET" | "POST" | "PATCH", path: string, bearer: string | null, body?: unknown): Promise<ScimAnswer> {
  const response = await fetch(`${c.server.url}/scim/v2${path}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { "content-type": scimType }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

const nav = () => page.getByRole("navigation", { name: "Console" });
const scimRegion = () => page.getByRole("region", { name: "Identity provider (SCIM)" });
const tokensTable = () => page.getByRole("table", { name: "SCIM tokens" });
const tokenRow = () => tokensTable().getByRole("row").filter({ hasText: tokenName });

async function openSettings() {
  await nav().getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
  await scimRegion().waitFor();
}
async function openDirectorySync() {
  await nav().getByRole("link", { name: "Directory sync" }).click();
  await page.getByRole("heading", { level: 1, name: "Directory sync" }).waitFor();
  await page.getByRole("region", { name: "Summary" }).waitFor();
}

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: c.server.url });
  await c.signIn();
  profileId = (await api<{ profile: { id: string } }>("profiles.byRegion", { region: "us-east-1" })).profile.id;
}, 180_000);
afterAll(() => c?.close());

describe("SCIM in the console", () => {
  it("Settings shows the SCIM base URL to copy and no token yet", async () => {
    await openSettings();
    const region = scimRegion();
    const baseUrl = region.getByRole("textbox", { name: "SCIM base URL" });
    expect(await baseUrl.inputValue()).toBe(`${c.server.url}/scim/v2`);
    expect(await baseUrl.getAttribute("readonly")).not.toBeNull();
    await region.getByRole("button", { name: "Copy" }).click();
    await region.getByRole("status").filter({ hasText: "Copied to the clipboard." }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${c.server.url}/scim/v2`);
    expect(await tokensTable().innerText()).toContain("No SCIM tokens");
    expect(await region.getByRole("button", { name: "Create token" }).isEnabled()).toBe(true);
    expect(await region.getByRole("note").count()).toBe(0);
  });

  it("creates a token after naming it, shows it once with a copy button, and never again", async () => {
    await scimRegion().getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create a SCIM token" });
    await dialog.waitFor();
    // No name: the server's message, next to the field.
    await dialog.getByRole("button", { name: "Create token" }).click();
    await dialog.getByRole("alert").waitFor();
    expect(await dialog.getByRole("alert").innerText()).toContain("Give the token a name");
    await dialog.getByRole("textbox", { name: "Token name" }).fill(tokenName);
    await dialog.getByRole("button", { name: "Create token" }).click();

    const shown = page.getByRole("dialog", { name: `SCIM token “${tokenName}” created` });
    await shown.waitFor();
    expect(await shown.getByRole("alert").innerText()).toContain("You will not see it again");
    const box = shown.getByRole("textbox", { name: "SCIM token" });
    token = await box.inputValue();
    expect(token).toMatch(/^scim_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{20,}$/);
    expect(await box.getAttribute("readonly")).not.toBeNull();
    expect(await shown.innerText()).toContain(`${c.server.url}/scim/v2`);
    await shown.getByRole("button", { name: "Copy" }).click();
    await shown.getByRole("status").filter({ hasText: "Copied to the clipboard." }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await c.shot("scim-token-created.png");
    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "hidden" });

    // Listed by name and hint, Active, never used; the secret is nowhere in the page or the list.
    await tokenRow().waitFor();
    const row = await tokenRow().innerText();
    expect(row).toContain("Active");
    expect(row).toContain("Never");
    expect(row).toContain(token.slice(0, "scim_".length + 12));
    expect(await page.getByRole("textbox", { name: "SCIM token" }).count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    const listed = await api<{ name: string; hint: string }[]>("scimTokens.list");
    expect(JSON.stringify(listed)).not.toContain(token);
  });

  it("the token opens /scim/v2 to an identity provider; no token or a wrong one is 401", async () => {
    const config = await scim("GET", "/ServiceProviderConfig", token);
    expect(config.status, JSON.stringify(config.body)).toBe(200);
    expect(config.contentType).toContain(scimType);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } });
    for (const bad of [null, `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`]) {
      const refused = await scim("GET", "/ServiceProviderConfig", bad);
      expect(refused.status, String(bad)).toBe(401);
      expect(refused.body).toMatchObject({ status: "401" });
    }
    // The console shows when the identity provider last used it.
    await page.reload();
    await scimRegion().waitFor();
    await expect.poll(async () => (await tokenRow().innerText()).includes("Never"), patiently).toBe(false);
    await c.shot("scim-settings.png");
    await page.setViewportSize({ width: 768, height: 900 });
    await scimRegion().scrollIntoViewIfNeeded();
    const create = await scimRegion().getByRole("button", { name: "Create token" }).boundingBox();
    expect(create!.x + create!.width).toBeLessThanOrEqual(768);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await c.shot("scim-settings-768.png");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("a person and a group pushed over SCIM are subscribed as soon as the group is, and a member added later at once", async () => {
    const probe = await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${ada.userName}"`)}`, token);
    expect(probe.status, JSON.stringify(probe.body)).toBe(200);
    expect(probe.body).toMatchObject({ totalResults: 0 });

    const email = (u: typeof ada) => [{ value: u.userName, type: "work", primary: true }];
    const created = await scim("POST", "/Users", token, { schemas: [userSchema], userName: ada.userName, displayName: ada.displayName, emails: email(ada), active: true });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const adaId = created.body!.id as string;
    const group = await scim("POST", "/Groups", token, { schemas: [groupSchema], displayName: groupName, members: [{ value: adaId }] });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const groupId = group.body!.id as string;

    // The admin subscribes the group (as the Groups tab does): its member is subscribed, Pending.
    await post("subscriptions.subscribe", { profileId, groupIds: [groupId], tier: "pro" });
    // Later the identity provider adds a second member: subscribed in the same request.
    const ben1 = await scim("POST", "/Users", token, { schemas: [userSchema], userName: ben.userName, displayName: ben.displayName, emails: email(ben), active: true });
    expect(ben1.status, JSON.stringify(ben1.body)).toBe(201);
    const benId = ben1.body!.id as string;
    const patched = await scim("PATCH", `/Groups/${groupId}`, token, { schemas: [patchSchema], Operations: [{ op: "Add", path: "members", value: [{ value: benId }] }] });
    expect([200, 204], JSON.stringify(patched.body)).toContain(patched.status);

    // Every SCIM write is audited with the token that made it.
    const audit = await api<{ entries: { action: string; actor: { type: string; label: string } }[] }>("audit.list", { limit: 50 });
    const byToken = audit.entries.filter((e) => e.actor.type === "scim");
    expect(byToken.length).toBeGreaterThanOrEqual(3);
    expect(new Set(byToken.map((e) => e.actor.label))).toEqual(new Set([`SCIM token "${tokenName}"`]));

    // The Users tab shows both, Pending on Pro, through the group.
    await nav().getByRole("link", { name: "Users & Groups" }).click();
    const search = page.getByRole("searchbox", { name: "Search users" });
    for (const person of [ada, ben]) {
      await search.fill(person.userName);
      const row = page.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: person.userName });
      await row.waitFor();
      await expect.poll(async () => row.innerText(), patiently).toMatch(/Pending/);
      expect(await row.innerText()).toContain(person.displayName);
      expect(await row.innerText()).toMatch(/Pro\b/);
    }
    await c.shot("scim-users-tab.png");

    // The identity provider deactivates Ben: his subscription, still Pending, is removed at once.
    const off = await scim("PATCH", `/Users/${benId}`, token, { schemas: [patchSchema], Operations: [{ op: "Replace", value: { active: false } }] });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const benRow = page.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: ben.userName });
    await page.reload();
    await search.fill(ben.userName);
    const benNow = await api<{ rows: { status: string | null }[] }>("subscriptions.list", { profileId, search: ben.userName });
    expect(benNow.rows.map((r) => r.status)).not.toContain("pending");
    // The Users tab agrees: Ben is no longer Pending (the page is read afresh after the reload).
    await page.getByText(/\b[01] users?\b/).first().waitFor();
    expect((await benRow.count()) === 0 || !/Pending/.test(await benRow.innerText())).toBe(true);
    // Ada, still active, keeps her subscription.
    const adaNow = await api<{ rows: { status: string | null }[] }>("subscriptions.list", { profileId, search: ada.userName });
    expect(adaNow.rows.map((r) => r.status)).toEqual(["pending"]);
  });

  it("Directory sync says every member of every subscribed group has a subscription", async () => {
    await openDirectorySync();
    expect(await nav().getByRole("link", { name: "Directory sync" }).getAttribute("aria-current")).toBe("page");
    expect(new URL(page.url()).searchParams.get("page")).toBe("coverage");
    const summary = page.getByRole("region", { name: "Summary" });
    expect(await summary.innerText()).toContain("Every member of every subscribed group has a subscription");
    const groups = page.getByRole("table", { name: "Subscribed groups" });
    await groups.waitFor();
    // The demo subscribes some of its groups; each row says how many members lack a subscription: none.
    const rows = groups.getByRole("row");
    expect(await rows.count()).toBeGreaterThan(1);
    for (const text of (await rows.allInnerTexts()).slice(1)) expect(text).toContain("None");
    // The group pushed over SCIM is there, with both its members covered.
    const pilots = groups.getByRole("row").filter({ hasText: groupName });
    expect(await pilots.innerText()).toMatch(/Pro\s+2\s+.*None/s);
    expect(await page.getByRole("region", { name: "Subscriptions without a covering assignment" }).innerText()).toContain("Every subscription is covered");
    expect(await page.getByRole("table", { name: "Members without a subscription" }).count()).toBe(0);
    await c.shot("directory-sync.png");
  });

  it("Repair asks first, then says what it did and checks again", async () => {
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.getByRole("button", { name: "Repair" }).click();
    const confirm = page.getByRole("dialog", { name: "Repair directory sync?" });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain("No member of a subscribed group is without a subscription");
    // Escape leaves everything as it was.
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "hidden" });
    await summary.getByRole("button", { name: "Repair" }).click();
    await confirm.getByRole("button", { name: "Repair" }).click();
    await confirm.waitFor({ state: "hidden" });
    const flash = page.getByRole("status").filter({ hasText: /Nothing needed repairing|Repaired/ });
    await flash.waitFor();
    expect(await flash.innerText()).toContain("Nothing needed repairing");
    expect(await summary.innerText()).toContain("Every member of every subscribed group has a subscription");
    // Audited under the owner's name.
    const audit = await api<{ entries: { action: string; actor: { type: string } }[] }>("audit.list", { limit: 20 });
    expect(audit.entries.some((e) => e.action.startsWith("coverage.") && e.actor.type === "admin")).toBe(true);

    await page.setViewportSize({ width: 768, height: 900 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    const repair = await summary.getByRole("button", { name: "Repair" }).boundingBox();
    expect(repair!.x + repair!.width).toBeLessThanOrEqual(768);
    await c.shot("directory-sync-768.png");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("revokes the token after asking, and the identity provider is refused at once", async () => {
    await openSettings();
    await tokenRow().getByRole("button", { name: `Revoke ${tokenName}` }).click();
    const confirm = page.getByRole("dialog", { name: `Revoke the SCIM token “${tokenName}”?` });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain("Immediately");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "hidden" });
    expect((await scim("GET", "/ServiceProviderConfig", token)).status).toBe(200);

    await tokenRow().getByRole("button", { name: `Revoke ${tokenName}` }).click();
    await confirm.getByRole("button", { name: "Revoke token" }).click();
    await confirm.waitFor({ state: "hidden" });
    await page.getByRole("status").filter({ hasText: `Revoked the SCIM token “${tokenName}”` }).waitFor();
    await expect.poll(async () => tokenRow().innerText(), patiently).toContain("Revoked");
    expect(await tokenRow().getByRole("button", { name: /Revoke/ }).count()).toBe(0);
    const refused = await scim("GET", "/ServiceProviderConfig", token);
    expect(refused.status).toBe(401);
    expect(refused.contentType).toContain(scimType);
  });

  it("an admin sees the tokens but cannot create or revoke one, and can repair; a viewer can do neither", async () => {
    // A second, active token, so there is something an admin could revoke if the page let them.
    await post("scimTokens.create", { name: "Entra" });
    const passwords: Record<string, string> = {};
    for (const role of ["admin", "viewer"] as const) {
      const invited = await post<{ oneTimePassword: string }>("admins.invite", { email: `${role}.scim@northwind.example`, name: `SCIM ${role}`, role });
      passwords[role] = invited.oneTimePassword;
    }
    for (const role of ["admin", "viewer"] as const) {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { level: 1, name: "Sign in to the console" }).waitFor();
      await c.signIn({ email: `${role}.scim@northwind.example`, password: passwords[role]! });
      await openSettings();
      const region = scimRegion();
      await tokensTable().getByRole("row").filter({ hasText: "Entra" }).waitFor();
      expect(await tokenRow().innerText()).toContain("Revoked");
      expect(await region.getByRole("note").innerText()).toContain("Only an owner can create or revoke SCIM tokens");
      expect(await region.getByRole("button", { name: "Create token" }).count()).toBe(0);
      expect(await region.getByRole("button", { name: /Revoke/ }).count()).toBe(0);
      expect(await region.getByRole("textbox", { name: "SCIM base URL" }).inputValue()).toBe(`${c.server.url}/scim/v2`);
      expect(await region.getByRole("button", { name: "Copy" }).count()).toBe(role === "admin" ? 1 : 0);

      await openDirectorySync();
      expect(await page.getByRole("region", { name: "Summary" }).innerText()).toContain("Every member of every subscribed group has a subscription");
      expect(await page.getByRole("button", { name: "Repair" }).count()).toBe(role === "admin" ? 1 : 0);
      if (role === "viewer") await c.shot("directory-sync-viewer.png");
    }
    expect(c.pageErrors).toEqual([]);
  });
});
