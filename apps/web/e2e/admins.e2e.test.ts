import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * The Admins page in a real browser against the real server and its seeded demo: the owner invites a
 * viewer, sees the one-time password once, makes them an admin, cannot stop being the last owner; the
 * invited admin signs in with that password and sees the list read-only; the owner removes them, which
 * ends their session at once. The steps run in order on one page, as a person would work through it.
 */

let c: Console;
let page: Page;
let owner: { email: string; name: string };
const invitee = { email: "ada.admins@northwind.example", name: "Ada Lovelace" };
/** The password the invitation showed, once. */
let password = "";
/** A session of the invitee's own, outside the browser, to see it end when they are removed. */
let inviteeCookie = "";

interface WireAdmin {
  id: string;
  email: string;
  name: string;
  role: string;
  you: boolean;
}

async function api<T>(path: string, input?: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await page.request.get(`/trpc/${path}${query}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

/** A call from outside the browser (its own cookie or none), as another person's browser makes it; answers the status and the cookie it set. */
async function outside(path: string, body: unknown, cookie = ""): Promise<{ status: number; cookie: string }> {
  const res = await fetch(`${c.server.url}/trpc/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { origin: c.server.url, ...(body === undefined ? {} : { "content-type": "application/json" }), ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  const set = res.headers.get("set-cookie") ?? "";
  return { status: res.status, cookie: set.split(";")[0] ?? "" };
}

const nav = () => page.getByRole("navigation", { name: "Console" });
const table = () => page.getByRole("table", { name: "Console admins" });
const rowOf = (email: string) => table().getByRole("row").filter({ hasText: email });
const flash = (text: string) => page.getByRole("status").filter({ hasText: text });

async function openAdmins() {
  await nav().getByRole("link", { name: "Admins" }).click();
  await page.getByRole("heading", { level: 1, name: "Admins" }).waitFor();
  await page.locator('table[aria-label="Console admins"][aria-busy="false"]').waitFor();
}

async function signOut() {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { level: 1, name: "Sign in to the console" }).waitFor();
}

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: c.server.url });
  await c.signIn();
  const { admins } = await api<{ admins: WireAdmin[] }>("admins.list");
  owner = admins.find((a) => a.you)!;
}, 180_000);
afterAll(() => c?.close());

describe("Admins", () => {
  it("opens from the Console navigation and lists the account's admins, the owner marked as you", async () => {
    await openAdmins();
    expect(await nav().getByRole("link", { name: "Admins" }).getAttribute("aria-current")).toBe("page");
    expect(new URL(page.url()).searchParams.get("page")).toBe("admins");
    expect(owner.email).toBe(c.server.credentials.email);

    const { admins } = await api<{ admins: WireAdmin[] }>("admins.list");
    expect(await table().locator("tbody tr").count()).toBe(admins.length);
    const mine = rowOf(owner.email);
    expect(await mine.innerText()).toMatch(new RegExp(`${owner.name} \\(you\\)[\\s\\S]*Owner`));
    // Owners change anyone's role, their own too; another owner removes them, never they themselves.
    expect(await mine.getByRole("button", { name: `Change the role of ${owner.name}` }).count()).toBe(1);
    expect(await mine.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Invite admin" }).isEnabled()).toBe(true);
    expect(await page.getByRole("main").getByRole("note").count()).toBe(0);

    // A role covers the whole account: the page opens in a region without a profile too.
    await page.goto("/?region=ap-southeast-2&page=admins");
    await page.getByRole("heading", { level: 1, name: "Admins" }).waitFor();
    await rowOf(owner.email).waitFor();
    expect(await page.getByText("No profile in this region.").count()).toBe(0);
    await page.goto("/?page=admins");
    await rowOf(owner.email).waitFor();
  });

  it("an invitation names the field the server refused: a bad address, an address already in use", async () => {
    await page.getByRole("button", { name: "Invite admin" }).click();
    const dialog = page.getByRole("dialog", { name: "Invite an admin" });
    await dialog.waitFor();
    const email = dialog.getByRole("textbox", { name: "E-mail" });
    const submit = dialog.getByRole("button", { name: "Invite admin" });
    expect(await submit.isDisabled()).toBe(true);
    await email.fill("not-an-address");
    await dialog.getByRole("textbox", { name: "Name" }).fill(invitee.name);
    await submit.click();
    await dialog.getByRole("alert").filter({ hasText: "Not an e-mail address" }).waitFor();
    expect(await email.getAttribute("aria-invalid")).toBe("true");

    // Typing again clears the message; an address that signs in elsewhere, in any case, is refused.
    await email.fill(owner.email.toUpperCase());
    expect(await dialog.getByRole("alert").count()).toBe(0);
    await submit.click();
    await dialog.getByRole("alert").filter({ hasText: `${owner.email.toUpperCase()} is already a console admin's sign-in` }).waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    const { admins } = await api<{ admins: WireAdmin[] }>("admins.list");
    expect(admins.map((a) => a.email)).not.toContain(invitee.email);
  });

  it("invites a viewer and shows the one-time password once, with a Copy button", async () => {
    await page.getByRole("button", { name: "Invite admin" }).click();
    const dialog = page.getByRole("dialog", { name: "Invite an admin" });
    await dialog.waitFor();
    // Admin is chosen unless the owner picks another role; each says what it may do.
    expect(await dialog.getByRole("radio", { name: /^Admin/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole("group", { name: "Role" }).innerText()).toContain("Sees everything in the console and changes nothing.");
    await dialog.getByRole("textbox", { name: "E-mail" }).fill(` ${invitee.email} `);
    await dialog.getByRole("textbox", { name: "Name" }).fill(invitee.name);
    await dialog.getByRole("radio", { name: /^Viewer/ }).check();
    await c.shot("admins-invite.png");
    await dialog.getByRole("button", { name: "Invite admin" }).click();

    const shown = page.getByRole("dialog", { name: `${invitee.name} invited` });
    await shown.waitFor();
    expect(await shown.getByRole("alert").innerText()).toContain("Copy the password now. You will not see it again.");
    const field = shown.getByRole("textbox", { name: "One-time password" });
    password = await field.inputValue();
    expect(password).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
    expect(await shown.innerText()).toContain(invitee.email);
    await shown.getByRole("button", { name: "Copy" }).click();
    await shown.getByRole("status").filter({ hasText: "Copied to the clipboard." }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(password);
    await c.shot("admins-invited.png");
    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "hidden" });

    await flash(`Invited ${invitee.name} (${invitee.email}) as a viewer.`).waitFor();
    await expect.poll(() => rowOf(invitee.email).count(), patiently).toBe(1);
    expect(await rowOf(invitee.email).innerText()).toContain("Viewer");
    // Shown once: nowhere on the page after the dialog closed, and not in what the list answers.
    expect(await page.content()).not.toContain(password);
    expect(JSON.stringify(await api("admins.list"))).not.toContain(password);
  });

  it("makes the viewer an admin", async () => {
    await rowOf(invitee.email).getByRole("button", { name: `Change the role of ${invitee.name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Change the role of ${invitee.name}` });
    await dialog.waitFor();
    expect(await dialog.getByRole("radio", { name: /^Viewer/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole("button", { name: "Change role" }).isDisabled()).toBe(true);
    await dialog.getByRole("radio", { name: /^Admin/ }).check();
    await dialog.getByRole("button", { name: "Change role" }).click();
    await dialog.waitFor({ state: "hidden" });
    await flash(`${invitee.name} is now an admin.`).waitFor();
    await expect.poll(() => rowOf(invitee.email).innerText(), patiently).toContain("Admin");
    const { admins } = await api<{ admins: WireAdmin[] }>("admins.list");
    expect(admins.find((a) => a.email === invitee.email)?.role).toBe("admin");
  });

  it("the last owner stays an owner: the server's reason shows beside the role, and nothing changes", async () => {
    await rowOf(owner.email).getByRole("button", { name: `Change the role of ${owner.name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Change the role of ${owner.name}` });
    await dialog.waitFor();
    await dialog.getByRole("radio", { name: /^Viewer/ }).check();
    expect(await dialog.innerText()).toContain("You will no longer be able to invite, remove or change the role of admins.");
    await dialog.getByRole("button", { name: "Change role" }).click();
    await dialog
      .getByRole("alert")
      .filter({ hasText: `${owner.email} is the account's last owner and cannot be made viewer; make another admin an owner first` })
      .waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await rowOf(owner.email).innerText()).toContain("Owner");
    expect(await page.getByRole("banner").innerText()).toContain("Owner");
  });

  it("the invited admin signs in with the password and sees the list, with nothing that changes it", async () => {
    const held = await outside("session.signIn", { email: invitee.email, password });
    expect(held.status).toBe(200);
    inviteeCookie = held.cookie;
    expect(inviteeCookie).toMatch(/^seatdesk_session=./);

    await signOut();
    await c.signIn({ email: invitee.email, password });
    expect(await page.getByRole("banner").innerText()).toContain(invitee.email);
    await openAdmins();
    expect(await page.getByRole("main").getByRole("note").innerText()).toContain("Only an owner can invite admins, change their roles or remove them.");
    expect(await rowOf(invitee.email).innerText()).toMatch(new RegExp(`${invitee.name} \\(you\\)[\\s\\S]*Admin`));
    expect(await rowOf(owner.email).innerText()).toContain("Owner");
    expect(await page.getByRole("button", { name: "Invite admin" }).count()).toBe(0);
    expect(await table().getByRole("button").count()).toBe(0);
    await c.shot("admins-read-only.png");

    await signOut();
    await c.signIn();
    await openAdmins();
  });

  it("asks before removing an admin, whose session ends at once and who can no longer sign in", async () => {
    expect((await outside("session.me", undefined, inviteeCookie)).status).toBe(200);
    await rowOf(invitee.email).getByRole("button", { name: `Remove ${invitee.name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Remove ${invitee.name}?` });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`Immediately: ${invitee.email} can no longer sign in, and every session of theirs ends`);
    await dialog.getByRole("button", { name: "Remove admin" }).click();
    await dialog.waitFor({ state: "hidden" });
    await flash(`Removed ${invitee.name} (${invitee.email}). They can no longer sign in.`).waitFor();
    await expect.poll(() => rowOf(invitee.email).count(), patiently).toBe(0);

    expect((await outside("session.me", undefined, inviteeCookie)).status).toBe(401);
    expect((await outside("session.signIn", { email: invitee.email, password })).status).toBe(401);
    const { admins } = await api<{ admins: WireAdmin[] }>("admins.list");
    expect(admins.map((a) => a.email)).toEqual([owner.email]);
    expect(c.pageErrors).toEqual([]);
  });
});
