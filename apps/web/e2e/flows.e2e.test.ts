import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, openConsole, patiently, shotsDir, type Console } from "./browser";

/**
 * Issue 7, "Tests": an administrator's day in the console, in a real browser against the real server
 * and its seeded demo: subscribe a group, upgrade, downgrade, deactivate, turn overages on, record
 * usage with a key made in Settings, move the test clock a month and see the month closed; a viewer
 * sees no action buttons. The steps run in order on one signed-in page.
 */
let c: Console;
let profileId: string;

type Row = { userId: string; displayName: string; email: string; tier: string | null; status: string | null; scheduledTier: string | null; source: { direct: string | null; groups: { displayName: string }[] } };

/** The API as the signed-in page calls it (same cookie, same origin). */
async function api<T>(path: string, input?: unknown): Promise<T> {
  const res = await c.page.request.get(`/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
async function post<T>(path: string, input: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await c.page.request.post(`/trpc/${path}`, { data: input, headers: { "content-type": "application/json", origin: c.server.url, ...headers } });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
const rowsWhere = async (filter: Record<string, unknown>) => (await api<{ rows: Row[] }>("subscriptions.list", { profileId, limit: 200, ...filter })).rows;

const usersTable = () => c.page.getByRole("table", { name: "Users" });
const rowOf = (email: string) => usersTable().getByRole("row").filter({ hasText: email });
async function findInUsersTab(email: string) {
  const search = c.page.getByRole("searchbox", { name: "Search users" });
  await search.fill(email);
  await rowOf(email).waitFor();
}
async function rowAction(name: string, email: string, action: "Subscribe" | "Change plan" | "Deactivate plan") {
  await rowOf(email).getByRole("button", { name: `Actions for ${name}` }).click();
  await c.page.getByRole("menuitem", { name: action }).click();
}

beforeAll(async () => {
  c = await openConsole();
  await c.signIn();
  profileId = (await api<{ profile: { id: string } }>("profiles.byRegion", { region: "us-east-1" })).profile.id;
}, 180_000);
afterAll(() => c?.close());

describe("an administrator's day", () => {
  const picked: { up?: Row; off?: Row } = {};

  it("subscribes a group on the Groups tab, and its members show as Pending", async () => {
    const { page } = c;
    const groups = (await api<{ rows: { groupId: string; displayName: string; tier: string | null; members: number }[] }>("subscriptions.listGroups", { profileId, limit: 100 })).rows;
    const group = groups.find((g) => g.tier === null && g.members > 0);
    expect(group, "a group with members and no plan").toBeDefined();
    const members = (await api<{ rows: { id: string; email: string }[] }>("directory.groupMembers", { groupId: group!.groupId, limit: 200 })).rows;
    const notYet = (await rowsWhere({ status: "unsubscribed" })).filter((r) => members.some((m) => m.id === r.userId));

    await page.getByRole("tab", { name: "Groups" }).click();
    const table = page.getByRole("table", { name: "Groups" });
    const row = table.getByRole("row").filter({ hasText: group!.displayName });
    await row.getByRole("checkbox", { name: `Select ${group!.displayName}` }).check();
    await page.getByRole("button", { name: "Subscribe", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Subscribe groups" });
    await dialog.getByRole("radio", { name: /^Pro \$20\/mo/ }).check();
    expect(await dialog.innerText()).toContain("1 group will be assigned Pro.");
    // Before anything is written, the server's preview of the group: its money this month and from next month.
    const preview = await api<{ users: unknown[]; thisMonthDeltaEstimateCents: number; nextMonthCents: number }>("subscriptions.previewChange", { profileId, groupIds: [group!.groupId], tier: "pro" });
    const usd = (cents: number) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100);
    await expect
      .poll(async () => dialog.innerText(), patiently)
      .toContain(`From next month: ${usd(preview.nextMonthCents)} a month for ${preview.users.length} ${preview.users.length === 1 ? "person" : "people"}`);
    await c.shot("subscribe-group.png");
    await dialog.getByRole("button", { name: "Subscribe", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(async () => (await row.innerText()).includes("Pro"), patiently).toBe(true);

    await page.getByRole("tab", { name: "Users" }).click();
    const member = notYet.find((r) => r.email);
    if (member) {
      await findInUsersTab(member.email);
      await expect.poll(async () => rowOf(member.email).innerText(), patiently).toMatch(/Pro[\s\S]*via[\s\S]*Pending/);
    }
    const after = (await rowsWhere({})).filter((r) => members.some((m) => m.id === r.userId));
    for (const r of after) expect(r.status, r.displayName).not.toBeNull();
  });

  it("upgrades a user: the new tier at once, after a preview of what it costs", async () => {
    const { page } = c;
    picked.up = (await rowsWhere({ status: "active", tier: "pro" })).find((r) => r.source.direct && r.source.groups.length === 0);
    expect(picked.up, "an Active user with a direct Pro plan").toBeDefined();
    const u = picked.up!;
    await findInUsersTab(u.email);
    await rowAction(u.displayName, u.email, "Change plan");
    const dialog = page.getByRole("dialog", { name: "Change plan" });
    await dialog.getByRole("radio", { name: /^Power / }).check();
    await expect.poll(async () => dialog.innerText(), patiently).toContain("upgrade now to Power, +$180.00 this month");
    await c.shot("change-plan-upgrade.png");
    await dialog.getByRole("button", { name: "Change plan" }).click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(async () => rowOf(u.email).innerText(), patiently).toMatch(/Power[\s\S]*Active/);
  });

  it("downgrades the same user: shown as scheduled for the 1st", async () => {
    const { page } = c;
    const u = picked.up!;
    await rowAction(u.displayName, u.email, "Change plan");
    const dialog = page.getByRole("dialog", { name: "Change plan" });
    await dialog.getByRole("radio", { name: /^Pro \$20/ }).check();
    const now = new Date((await api<{ now: string }>("clock.get")).now);
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const day = first.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
    await expect.poll(async () => dialog.innerText(), patiently).toContain(`downgrade on ${day}, then $20.00 a month`);
    await dialog.getByRole("button", { name: "Change plan" }).click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(async () => rowOf(u.email).innerText(), patiently).toContain(`Pro on ${day}`);
    await c.shot("after-downgrade.png");
  });

  it("deactivates another user: Canceled, with the access end, after a dialog that says the month stays charged", async () => {
    const { page } = c;
    picked.off = (await rowsWhere({ status: "active" })).find((r) => r.source.direct && r.source.groups.length === 0 && r.userId !== picked.up!.userId);
    expect(picked.off, "another Active user with only a direct plan").toBeDefined();
    const u = picked.off!;
    await findInUsersTab(u.email);
    await rowAction(u.displayName, u.email, "Deactivate plan");
    const dialog = page.getByRole("dialog", { name: "Deactivate plan" });
    await expect.poll(async () => dialog.innerText(), patiently).toMatch(/loses access on [A-Z][a-z]{2} 1; this month stays charged/);
    await c.shot("deactivate-dialog.png");
    await dialog.getByRole("button", { name: "Deactivate plan" }).click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(async () => rowOf(u.email).innerText(), patiently).toMatch(/Canceled[\s\S]*access until/);
  });

  it("turns overages on in Settings, makes an API key there, records usage with it, and sees the credits move", async () => {
    const { page } = c;
    await page.getByRole("link", { name: "Settings" }).click();
    const overages = page.getByRole("switch", { name: "Overages" });
    await overages.waitFor();
    expect(await overages.isChecked()).toBe(false);
    await overages.click();
    await expect.poll(async () => (await api<{ overagesEnabled: boolean }>("settings.get", { profileId })).overagesEnabled, patiently).toBe(true);

    await page.getByRole("button", { name: "Create key" }).click();
    const create = page.getByRole("dialog", { name: "Create an API key" });
    await create.getByRole("textbox", { name: "Key name" }).fill("e2e backend");
    await create.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("dialog", { name: "Key “e2e backend” created" });
    const key = await shown.getByRole("textbox", { name: "API key" }).inputValue();
    expect(key).toMatch(/^sdk_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);
    await shown.getByRole("button", { name: "Done" }).click();

    const u = picked.up!;
    const before = (await rowsWhere({ search: u.email }))[0]!;
    const res = await c.page.request.post("/trpc/usage.record", {
      data: { userId: u.userId, credits: 12.5, client: "cli", occurredAt: new Date((await api<{ now: string }>("clock.get")).now).toISOString(), idempotencyKey: "e2e-1" },
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    });
    expect(res.status(), await res.text()).toBe(200);
    expect(before).toBeDefined();

    await page.getByRole("link", { name: "Users & Groups" }).click();
    await findInUsersTab(u.email);
    await expect.poll(async () => rowOf(u.email).innerText(), patiently).toMatch(/12\.5 \/ 10,000 credits|12\.5\s*\/\s*10,000/);
  });

  it("moves the test clock a month: the month is invoiced, the downgrade applied, the canceled access ended", async () => {
    const { page } = c;
    await page.getByRole("button", { name: /advance to next month/i }).click();
    // The clock only moves forward: the control asks first, then says what the close did.
    const confirm = page.getByRole("dialog", { name: "Advance the test clock" });
    await confirm.getByRole("button", { name: "Advance to next month" }).click();
    await confirm.getByRole("status").filter({ hasText: /closed 1 month/ }).waitFor({ timeout: 30_000 });
    await c.shot("clock-advanced.png");
    await confirm.getByRole("button", { name: "Done" }).click();
    await expect.poll(async () => (await api<{ invoices: { periodId: string }[] }>("billing.invoices", { profileId })).invoices.length, { ...patiently, timeout: 30_000 }).toBe(1);

    await page.getByRole("link", { name: "Billing" }).click();
    const period = (await api<{ invoices: { periodId: string; totalCents: number }[] }>("billing.invoices", { profileId })).invoices[0]!;
    await expect.poll(async () => page.getByRole("main").innerText(), patiently).toMatch(new RegExp(period.periodId.slice(0, 4)));
    await c.shot("billing-after-close.png");

    await page.getByRole("link", { name: "Users & Groups" }).click();
    const up = picked.up!;
    await findInUsersTab(up.email);
    await expect.poll(async () => rowOf(up.email).innerText(), patiently).toMatch(/^[\s\S]*\bPro\b(?!\+)[\s\S]*Active/);
    expect(await rowOf(up.email).innerText()).not.toMatch(/Pro on /);
    const off = picked.off!;
    await findInUsersTab(off.email);
    await expect.poll(async () => rowOf(off.email).innerText(), patiently).toContain("Not subscribed");
  });

  it("a viewer sees everything and no action buttons", async () => {
    const invited = await post<{ oneTimePassword: string; admin: { email: string } }>("admins.invite", { email: "viewer@northwind.example", name: "Val Viewer", role: "viewer" });
    const dir = mkdtempSync(join(tmpdir(), "seatdesk-viewer-"));
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      viewport: { width: 768, height: 900 },
      baseURL: c.server.url,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto("/");
      await page.getByRole("textbox", { name: "E-mail" }).fill(invited.admin.email);
      await page.getByLabel("Password").fill(invited.oneTimePassword);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("table", { name: "Users" }).locator("tbody tr:has(.name)").first().waitFor();
      expect(await page.getByRole("banner").innerText()).toMatch(/viewer/i);
      for (const name of ["Subscribe", "Change plan", "Deactivate plan"]) expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByRole("button", { name: /^Actions for / }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /advance to next month/i }).count()).toBe(0);
      await page.screenshot({ path: join(shotsDir, "viewer-768.png"), fullPage: true });
      await page.getByRole("tab", { name: "Groups" }).click();
      await page.getByRole("table", { name: "Groups" }).locator("tbody tr").first().waitFor();
      expect(await page.getByRole("button", { name: "Subscribe", exact: true }).count()).toBe(0);
      await page.getByRole("link", { name: "Settings" }).click();
      await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
      expect(await page.getByRole("button", { name: /create key/i }).count()).toBe(0);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(c.pageErrors).toEqual([]);
  });
});
