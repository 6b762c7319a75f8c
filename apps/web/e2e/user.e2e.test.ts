import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * A user's page in a real browser against the real server and its seeded demo: what it shows equals
 * what the API answers (tier and its sources, status, this month's credits, the bill), a change made
 * through the API appears in its audit history, and a person without a subscription says so.
 * The steps run in order on one signed-in page.
 */

interface UserRow {
  userId: string;
  displayName: string;
  email: string;
  directoryActive: boolean;
  tier: string | null;
  status: string | null;
  source: { direct: string | null; groups: { groupId: string; displayName: string; tier: string }[] };
  usage: { allowanceCc: number; usedCc: number; includedCc: number; overageCc: number; unbilledCc: number } | null;
}
interface UserView {
  row: UserRow;
  periodId: string;
  charge: { feeTier: string | null; feeCents: number; overageCc: number; overageCents: number; totalCents: number } | null;
  notices: { kind: string }[];
}

const tierNames: Record<string, string> = { pro: "Pro", pro_plus: "Pro+", power: "Power" };
const integer = new Intl.NumberFormat("en-US");
const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
/** The console's own formats (src/lib/format.ts). */
const credits = (cc: number) => `${integer.format(cc / 100)} credits`;
const money = (cents: number) => usd.format(cents / 100);

let c: Console;
let profileId: string;
let user: UserRow;

async function get<T>(path: string, input: unknown): Promise<T> {
  const response = await c.page.request.get(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  const body = await response.text();
  expect(response.ok(), `${path}: ${body}`).toBe(true);
  return (JSON.parse(body) as { result: { data: T } }).result.data;
}

async function post<T>(path: string, input: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await c.page.request.post(`/trpc/${path}`, {
    data: JSON.stringify(input),
    headers: { Origin: c.server.url, "content-type": "application/json", ...headers },
  });
  const body = await response.text();
  expect(response.ok(), `${path}: ${body}`).toBe(true);
  return (JSON.parse(body) as { result: { data: T } }).result.data;
}

const openUser = async (userId: string) => {
  await c.page.goto(`/?region=us-east-1&page=user&user=${userId}`);
};
/** The figure beside a term of the credits panel. */
const figure = (term: string) => c.page.locator(`.user-credits-figures dt:text-is("${term}") + dd`);
const meter = () => c.page.getByRole("meter", { name: "Credits used this month" });

/** What the page must show for the user's credits and bill, from the API's answer. */
async function expectCreditsAndBill(view: UserView) {
  const usage = view.row.usage!;
  await expect.poll(() => meter().getAttribute("aria-valuenow"), patiently).toBe(String(usage.usedCc / 100));
  expect(await meter().getAttribute("aria-valuetext")).toContain(`of ${credits(usage.allowanceCc)} included`);
  expect((await figure("Included in the allowance").innerText()).trim()).toContain(`${credits(usage.includedCc)} of ${credits(usage.allowanceCc)}`);
  expect(await figure("Overage").innerText()).toContain(credits(usage.overageCc));
  expect(await figure("Unbilled overshoot").innerText()).toContain(credits(usage.unbilledCc));

  const bill = c.page.getByRole("table", { name: "This month's bill" });
  expect(view.charge).not.toBeNull();
  const charge = view.charge!;
  expect(await bill.getByRole("row", { name: /Subscription fee/ }).innerText()).toContain(money(charge.feeCents));
  expect(await bill.getByRole("row", { name: /Subscription fee/ }).innerText()).toContain(tierNames[charge.feeTier!]);
  expect(await bill.getByRole("row", { name: /^Overage/ }).innerText()).toContain(money(charge.overageCents));
  expect(await bill.getByRole("row", { name: /Total so far/ }).innerText()).toContain(money(charge.totalCents));
}

beforeAll(async () => {
  c = await openConsole();
  await c.signIn();
  const byRegion = await get<{ profile: { id: string } | null }>("profiles.byRegion", { region: "us-east-1" });
  expect(byRegion.profile).not.toBeNull();
  profileId = byRegion.profile!.id;
});

afterAll(async () => {
  await c?.close();
});

describe("a user's page", () => {
  it("shows a subscribed Active user as the API answers: name, status, tier source, credits and bill", async () => {
    const list = await get<{ rows: UserRow[] }>("subscriptions.list", { profileId, status: "active", limit: 200 });
    // On Pro through groups only, so an upgrade through a direct assignment changes the tier and its sources.
    const found = list.rows.find((r) => r.tier === "pro" && r.source.direct === null && r.source.groups.length > 0 && r.directoryActive);
    expect(found, "the demo has an Active Pro user subscribed through a group").toBeDefined();
    user = found!;

    // Usage past the allowance, within a cap: included, overage and the cap all show.
    await post("settings.update", { profileId, overagesEnabled: true });
    await post("settings.setUserOverride", { profileId, userId: user.userId, cap: 200 });
    const { key } = await post<{ key: string }>("keys.create", { profileId, name: "User page test" });
    const { now } = await get<{ now: string }>("clock.get", undefined);
    const auth = { Authorization: `Bearer ${key}` };
    await post("usage.record", { userId: user.userId, credits: 850, client: "ide", occurredAt: now, idempotencyKey: "user-page-1" }, auth);
    await post("usage.record", { userId: user.userId, credits: 250.5, client: "cli", occurredAt: now, idempotencyKey: "user-page-2" }, auth);
    const view = await get<UserView>("subscriptions.user", { profileId, userId: user.userId });
    expect(view.row.usage).toMatchObject({ allowanceCc: 100_000, includedCc: 100_000, overageCc: 10_050, unbilledCc: 0 });

    await openUser(user.userId);
    const page = c.page;
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText(), patiently).toBe(user.displayName);
    await expect.poll(() => page.getByText(user.email, { exact: true }).count()).toBe(1);
    const header = page.locator(".user-header-meta");
    expect(await header.locator(".badge").innerText()).toBe("Active");

    const subscription = page.getByRole("region", { name: "Subscription" });
    expect(await subscription.locator(".user-tier").innerText()).toBe("Pro");
    const sources = await subscription.locator(".user-tier-sources li").allInnerTexts();
    expect(sources.length).toBe(user.source.groups.length);
    for (const g of user.source.groups) expect(sources.some((s) => s.startsWith(`Group ${g.displayName}: ${tierNames[g.tier]}`))).toBe(true);
    expect(sources.some((s) => s.startsWith("Direct assignment"))).toBe(false);

    await expectCreditsAndBill(view);
    expect(await figure("Overage cap").innerText()).toContain("200 credits");
    expect(await figure("Overage cap").innerText()).toContain("set for this user");
    // The cap's marker sits on the bar (hidden from assistive technology: the figures say it).
    expect(await page.locator(".user-credits-marker-cap").count()).toBe(1);
    expect(view.charge!.overageCents).toBe(402);

    // Notices in plain words, newest first: the 80% notice came with the first event.
    const notices = page.getByRole("list", { name: "Notices" }).getByRole("listitem");
    await expect.poll(() => notices.count()).toBe(view.notices.length);
    expect(view.notices.length).toBe(3);
    expect(await notices.last().innerText()).toContain("Used 80% of the month's allowance");
    expect(await page.getByRole("list", { name: "Notices" }).innerText()).toContain("Started using overage");

    // The cap set above is already in the audit history.
    const audit = page.getByRole("table", { name: "Audit history" });
    await expect.poll(() => audit.getAttribute("aria-busy"), patiently).toBe("false");
    expect(await audit.innerText()).toContain("Overage limits changed");
    expect(await audit.innerText()).toContain("Cap 200 credits, overage as the profile");

    // The accessibility tree names the regions and the meter.
    const tree = await page.getByRole("main").ariaSnapshot();
    for (const name of ["Subscription", "This month's credits", "This month's bill", "Notices", "Audit history"]) expect(tree).toContain(`region "${name}"`);
    expect(tree).toContain('meter "Credits used this month"');
    await c.shot("user-overage-1280.png");
  });

  it("shows a plan change made through the API in the audit history after a reload", async () => {
    const page = c.page;
    const audit = page.getByRole("table", { name: "Audit history" });
    expect(await audit.innerText()).not.toContain("Plan changed");

    await post("subscriptions.changePlan", { profileId, userIds: [user.userId], tier: "pro_plus" });
    await page.reload();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText(), patiently).toBe(user.displayName);
    await expect.poll(() => audit.getAttribute("aria-busy"), patiently).toBe("false");
    const firstRow = await audit.locator("tbody tr").first().innerText();
    const text = await audit.innerText();
    expect(text).toContain("Plan changed (direct assignment)");
    expect(text).toMatch(/None\s*(changed to)?\s*→?\s*Pro\+/);
    expect(text).toContain("Subscription updated");
    expect(firstRow).toMatch(/Plan changed|Subscription updated/);
    expect(text).toContain(c.server.credentials.email);

    // The upgrade is immediate: Pro+ from the direct assignment, the group still there; the whole month re-rated.
    const subscription = page.getByRole("region", { name: "Subscription" });
    expect(await subscription.locator(".user-tier").innerText()).toBe("Pro+");
    const sources = await subscription.locator(".user-tier-sources li").allInnerTexts();
    expect(sources[0]).toMatch(/^Direct assignment: Pro\+\s*Highest: sets the tier/);
    const view = await get<UserView>("subscriptions.user", { profileId, userId: user.userId });
    expect(view.row.usage).toMatchObject({ allowanceCc: 200_000, overageCc: 0 });
    await expectCreditsAndBill(view);

    await c.shot("user-1280.png");
    await page.setViewportSize({ width: 768, height: 1024 });
    await expect.poll(() => meter().isVisible()).toBe(true);
    // Nothing of the page is wider than the window at 768 px (the shell's top bar is not this page's).
    const widest = await page.evaluate(() => Math.max(...[...document.querySelectorAll("main *")].map((e) => e.getBoundingClientRect().right)));
    expect(widest).toBeLessThanOrEqual(768);
    await c.shot("user-768.png");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("says Not subscribed and shows no bill for a person without a subscription", async () => {
    const list = await get<{ rows: UserRow[] }>("subscriptions.list", { profileId, status: "unsubscribed", limit: 20 });
    const person = list.rows[0];
    expect(person, "the demo has people without a subscription").toBeDefined();
    await openUser(person!.userId);
    const page = c.page;
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText(), patiently).toBe(person!.displayName);
    expect(await page.locator(".user-header-meta .badge").innerText()).toBe("Not subscribed");
    expect(await page.getByRole("region", { name: "This month's bill" }).innerText()).toContain("Nothing charged this month");
    expect(await page.getByRole("table", { name: "This month's bill" }).count()).toBe(0);
    expect(await meter().count()).toBe(0);
    expect(await page.getByRole("region", { name: "This month's credits" }).innerText()).toContain("No credits this month");
    expect(await page.getByRole("region", { name: "Notices" }).innerText()).toContain("No notices");
    await c.shot("user-not-subscribed-1280.png");

    // Back to the list, by keyboard.
    await page.getByRole("link", { name: "Back to Users & Groups" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => new URL(page.url()).searchParams.get("page"), patiently).toBeNull();
    expect(new URL(page.url()).searchParams.get("region")).toBe("us-east-1");
  });

  it("shows a Canceled user's access end and the month still charged", async () => {
    const list = await get<{ rows: (UserRow & { accessEndsAt: string | null })[] }>("subscriptions.list", { profileId, status: "canceled", limit: 20 });
    const person = list.rows[0];
    expect(person, "the demo has Canceled users").toBeDefined();
    const view = await get<UserView>("subscriptions.user", { profileId, userId: person!.userId });
    await openUser(person!.userId);
    const page = c.page;
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText(), patiently).toBe(person!.displayName);
    expect(await page.locator(".user-header-meta .badge").innerText()).toBe("Canceled");
    const subscription = page.getByRole("region", { name: "Subscription" });
    expect(await subscription.innerText()).toContain("Access until");
    expect(await subscription.locator("time").first().getAttribute("datetime")).toBe(person!.accessEndsAt);
    const bill = page.getByRole("region", { name: "This month's bill" });
    expect(await bill.getByRole("row", { name: /Total so far/ }).innerText()).toContain(money(view.charge!.totalCents));
    expect(await bill.innerText()).toContain("keeps the month charged in full");
  });

  it("shows the server's message for a user that does not exist or an id that is not one", async () => {
    const page = c.page;
    await openUser("00000000-0000-4000-8000-000000000000");
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.innerText(), patiently).toContain("no such user in this account");
    expect(await page.getByRole("link", { name: "Back to Users & Groups" }).count()).toBe(1);

    await openUser("not-an-id");
    await expect.poll(() => page.getByRole("alert").innerText(), patiently).toContain("userId");
    expect(c.pageErrors).toEqual([]);
  });
});
