import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, shotsDir, type Console } from "./browser";

/**
 * The Subscriptions overview and the test clock, in a real browser against the real server and its
 * seeded demo. Some usage is recorded first through the API (with a key made here), so that every chart
 * has something to show; then the clock is moved to the next month and every page follows.
 */

let c: Console;
let page: Page;
let profileId: string;
const statuses = ["active", "pending", "canceled"] as const;
type Status = (typeof statuses)[number];

interface Summary {
  periodId: string;
  subscriptions: { total: number; byStatus: Record<Status, number>; byTier: { tier: string; total: number; byStatus: Record<Status, number> }[] };
  activeUsers: { lastDay: number; last7Days: number; last30Days: number };
  credits: { usedCc: number; byClient: { client: string; usedCc: number; overageCc: number }[] };
  overage: { overageCents: number; budgetCents: number | null; budgetUsedCents: number };
}

/** A query over HTTP as the signed-in browser (its cookie travels with page.request). */
async function query<T>(path: string, input?: unknown): Promise<T> {
  const search = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await page.request.get(`/trpc/${path}${search}`);
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
  return body.result.data;
}

async function mutate<T>(path: string, input: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await page.request.post(`/trpc/${path}`, { data: input, headers: { "content-type": "application/json", ...headers } });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
  return body.result.data;
}

/** How many people the Users tab lists with this status filter (every page of subscriptions.list). */
async function usersTabCount(status: Status): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const res: { rows: unknown[]; nextCursor: string | null } = await query("subscriptions.list", { profileId, status, limit: 200, ...(cursor ? { cursor } : {}) });
    count += res.rows.length;
    cursor = res.nextCursor;
  } while (cursor);
  return count;
}

const utc = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
const utcDay = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const main = () => page.getByRole("main");
const clockGroup = () => page.getByRole("banner").getByRole("group", { name: "Test clock" });
const countsTable = () => main().getByRole("table", { name: "Subscriptions by tier and status" });
const cellTexts = (row: ReturnType<Page["locator"]>) => row.locator("th, td").allInnerTexts();

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.signIn();
  const byRegion = await query<{ profile: { id: string } | null }>("profiles.byRegion", { region: "us-east-1" });
  profileId = byRegion.profile!.id;

  // Usage for the charts: overages on with a $20.00 budget; a Pro user uses their 1,000 credits from the IDE
  // and 50 more from the CLI (50 credits of overage: $2.00); another uses 12.50 credits from the IDE.
  await mutate("settings.update", { profileId, overagesEnabled: true, budgetCents: 2000 });
  const { key } = await mutate<{ key: string }>("keys.create", { profileId, name: "Overview e2e" });
  const active = await query<{ rows: { userId: string; tier: string }[] }>("subscriptions.list", { profileId, status: "active", tier: "pro", limit: 2 });
  const [first, second] = active.rows;
  expect(second, "two Active Pro users in the demo").toBeDefined();
  const bearer = { authorization: `Bearer ${key}` };
  const { now } = await query<{ now: string }>("clock.get");
  const record = (userId: string, credits: number, client: string, n: number) =>
    mutate<{ outcome?: string }>("usage.record", { userId, credits, client, occurredAt: now, idempotencyKey: `overview-e2e-${n}` }, bearer);
  await record(first!.userId, 1000, "ide", 1);
  await record(first!.userId, 50, "cli", 2);
  await record(second!.userId, 12.5, "ide", 3);
});

afterAll(async () => {
  await c?.close();
});

describe("Subscriptions overview", () => {
  it("opens from the Console navigation, and its counts by status are the Users tab's", async () => {
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Subscriptions overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Subscriptions overview" }).waitFor();
    expect(new URL(page.url()).searchParams.get("page")).toBe("overview");
    await countsTable().waitFor();

    const summary = await query<Summary>("dashboard.summary", { profileId });
    // The demo has every status; the Users tab's filters count the same people.
    for (const s of statuses) {
      expect(summary.subscriptions.byStatus[s], s).toBeGreaterThan(0);
      expect(await usersTabCount(s), s).toBe(summary.subscriptions.byStatus[s]);
    }

    const number = (text: string) => Number(text.replace(/,/g, ""));
    const footer = await cellTexts(countsTable().locator("tfoot tr"));
    expect(footer[0]).toBe("All tiers");
    expect(footer.slice(1).map(number)).toEqual([...statuses.map((s) => summary.subscriptions.byStatus[s]), summary.subscriptions.total]);
    const rows = countsTable().locator("tbody tr");
    expect(await rows.count()).toBe(3);
    for (const [i, tier] of summary.subscriptions.byTier.entries()) {
      const cells = await cellTexts(rows.nth(i));
      expect(cells[0]).toBe({ pro: "Pro", pro_plus: "Pro+", power: "Power" }[tier.tier]);
      expect(cells.slice(1).map(number), tier.tier).toEqual([...statuses.map((s) => tier.byStatus[s]), tier.total]);
    }

    const figures = main().getByRole("definition").first();
    expect(await figures.innerText()).toBe(summary.subscriptions.total.toLocaleString("en-US"));
    const statusNote = await main().locator(".ov-statuses").innerText();
    expect(statusNote.replace(/\s+/g, " ")).toBe(
      `${summary.subscriptions.byStatus.active.toLocaleString("en-US")} Active ${summary.subscriptions.byStatus.pending.toLocaleString("en-US")} Pending ${summary.subscriptions.byStatus.canceled.toLocaleString("en-US")} Canceled`,
    );
  });

  it("draws each chart as an SVG image with a name that carries its figures", async () => {
    const summary = await query<Summary>("dashboard.summary", { profileId });
    const subsChart = main().getByRole("img", { name: /^Bar chart of subscriptions by tier and status: / });
    await subsChart.waitFor();
    expect(await subsChart.evaluate((el) => el.tagName.toLowerCase())).toBe("svg");
    const subsName = (await subsChart.getAttribute("aria-label"))!;
    const pro = summary.subscriptions.byTier.find((t) => t.tier === "pro")!;
    expect(subsName).toContain(`Pro ${pro.total} (${pro.byStatus.active} active, ${pro.byStatus.pending} pending, ${pro.byStatus.canceled} canceled)`);
    expect(await subsChart.locator(".recharts-bar-rectangle").count()).toBeGreaterThan(0);

    // Active users per day: the figures under the chart are the API's, newest first.
    const series = await query<{ days: { day: string; users: number }[] }>("dashboard.activeUsersByDay", { profileId });
    expect(series.days).toHaveLength(30);
    expect(series.days.reduce((s, d) => s + d.users, 0)).toBeGreaterThan(0);
    const usersChart = main().getByRole("img", { name: /^Area chart of active users per day from / });
    await usersChart.waitFor();
    expect(await usersChart.evaluate((el) => el.tagName.toLowerCase())).toBe("svg");
    expect(await usersChart.getAttribute("aria-label")).toContain(`${series.days.at(-1)!.users} today so far`);
    expect(await usersChart.locator(".recharts-area-area").count()).toBe(1);
    const usersFigures = main().locator("details").filter({ hasText: "Active users per day (UTC)" });
    await usersFigures.locator("summary").click();
    const dayTable = main().getByRole("table", { name: "Active users per day (UTC)" });
    await dayTable.waitFor();
    const dayRows = await dayTable.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => (tr.lastElementChild as HTMLElement).innerText));
    expect(dayRows.map(Number)).toEqual([...series.days].reverse().map((d) => d.users));

    // Credits: 1,062.50 used, from the IDE (1,012.50) and the CLI (50, all of it overage).
    expect(summary.credits.usedCc).toBe(106_250);
    const tierChart = main().getByRole("img", { name: /^Bar chart of credits used this month by tier: / });
    expect(await tierChart.getAttribute("aria-label")).toContain("Pro 1,062.5 (50 overage)");
    const clientChart = main().getByRole("img", { name: /^Bar chart of credits used this month by client: / });
    expect(await clientChart.getAttribute("aria-label")).toBe("Bar chart of credits used this month by client: ide 1,012.5 (0 overage); cli 50 (50 overage).");
    expect(await clientChart.locator(".recharts-bar-rectangle").count()).toBeGreaterThan(0);
    expect(await main().locator(".ov-stats").getByText("1,062.5", { exact: true }).isVisible()).toBe(true);

    // Overage against the $20.00 budget: $2.00, 10 %.
    expect(summary.overage).toMatchObject({ overageCents: 200, budgetCents: 2000, budgetUsedCents: 200 });
    const meter = main().getByRole("meter", { name: "Overage budget used" });
    expect(await meter.getAttribute("aria-valuenow")).toBe("200");
    expect(await meter.getAttribute("aria-valuemax")).toBe("2000");
    expect(await meter.getAttribute("aria-valuetext")).toBe("$2.00 of $20.00 (10%)");
    const budgetPanel = main().getByRole("region", { name: "Overage spend against the budget" });
    expect(await budgetPanel.innerText()).toContain("$2.00 counted against the budget (10%)");
    expect(await budgetPanel.getByRole("button", { name: "Change the budget" }).isVisible()).toBe(true);

    await usersFigures.locator("summary").click();
    // Nothing wider than the window (the header with the clock included): no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.evaluate(() => window.scrollTo(0, 0));
    await c.shot("overview-1280.png");
    try {
      await page.setViewportSize({ width: 768, height: 1000 });
      await expect.poll(async () => (await subsChart.boundingBox())?.width ?? 0, patiently).toBeLessThan(720);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
      expect(await clockGroup().getByRole("button", { name: "Advance to next month" }).isVisible()).toBe(true);
      // The clock fits the header beside the region: nothing overlaps.
      const buttonBox = (await clockGroup().getByRole("button").boundingBox())!;
      const regionLabelBox = (await page.getByRole("banner").getByText("Region", { exact: true }).boundingBox())!;
      expect(buttonBox.width).toBeGreaterThanOrEqual(28);
      expect(buttonBox.x + buttonBox.width).toBeLessThanOrEqual(regionLabelBox.x);
      expect(await clockGroup().locator("time").innerText()).toBe(utcDay.format(new Date((await query<{ now: string }>("clock.get")).now)));
      await c.shot("overview-768.png");
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("shows the test clock in the header; advancing a month asks first, shows the close running, and every page moves on", async () => {
    const before = await query<{ now: string; testClock: boolean }>("clock.get");
    expect(before.testClock).toBe(true);
    const today = utc.format(new Date(before.now));
    const nowShown = clockGroup().locator("time");
    await expect.poll(() => nowShown.innerText(), patiently).toContain(today);
    expect(await nowShown.innerText()).toMatch(/ UTC$/);
    const nowDate = new Date(before.now);
    const next = new Date(Date.UTC(nowDate.getUTCFullYear(), nowDate.getUTCMonth() + 1, 1, 0, 20));
    const nextDay = utc.format(next);
    const nextPeriod = next.toISOString().slice(0, 7);

    // Escape leaves everything as it was.
    const advanceButton = clockGroup().getByRole("button", { name: "Advance to next month" });
    await advanceButton.click();
    const dialog = page.getByRole("dialog", { name: "Advance the test clock" });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`to ${nextDay}, 00:20 UTC`);
    expect(await dialog.innerText()).toContain("The clock cannot be moved back.");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await advanceButton.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await query<{ now: string }>("clock.get")).now.slice(0, 10)).toBe(before.now.slice(0, 10));

    // Hold the request to see the close running, then let it through.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/trpc\/clock\.advance/, async (route) => {
      await held;
      await route.continue();
    });
    await advanceButton.click();
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Advance to next month" }).click();
    const progress = dialog.getByRole("status").filter({ hasText: "Closing the month…" });
    await progress.waitFor();
    expect(await dialog.getByRole("button", { name: "Closing the month…" }).isDisabled()).toBe(true);
    expect(await dialog.getByRole("button", { name: "Cancel" }).isDisabled()).toBe(true);
    release();

    const result = dialog.getByRole("status").filter({ hasText: /^✓?\s*Now / });
    await result.waitFor();
    expect((await result.innerText()).replace(/^✓\s*/, "")).toBe(`Now ${nextDay}, 00:20 UTC · closed 1 month`);
    await page.unroute(/\/trpc\/clock\.advance/);
    await page.screenshot({ path: join(shotsDir, "clock.png") });
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "hidden" });

    // The header and the page are in the new month without a reload.
    await expect.poll(() => nowShown.innerText(), patiently).toContain(nextDay);
    expect((await query<{ now: string }>("clock.get")).now.startsWith(next.toISOString().slice(0, 16))).toBe(true);
    const newMonth = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(next);
    await expect.poll(() => page.getByText(`${newMonth} so far`).count(), patiently).toBe(1);
    expect(await main().getByText(`No credits used in ${newMonth} yet.`).count()).toBe(2);
    const summary = await query<Summary>("dashboard.summary", { profileId });
    expect(summary.periodId).toBe(nextPeriod);
    // Canceled access ended with the month; the counts still match the Users tab.
    expect(summary.subscriptions.byStatus.canceled).toBe(0);
    for (const s of statuses) expect(await usersTabCount(s), s).toBe(summary.subscriptions.byStatus[s]);
    const footer = await cellTexts(countsTable().locator("tfoot tr"));
    expect(footer.slice(1).map((t) => Number(t.replace(/,/g, "")))).toEqual([...statuses.map((s) => summary.subscriptions.byStatus[s]), summary.subscriptions.total]);
  });

  it("shows a viewer the date but no way to move the clock", async () => {
    const { oneTimePassword, admin } = await mutate<{ oneTimePassword: string; admin: { email: string } }>("admins.invite", {
      email: "viewer.overview@northwind.example",
      name: "Overview Viewer",
      role: "viewer",
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in to the console" }).waitFor();
    await c.signIn({ email: admin.email, password: oneTimePassword });
    await page.goto("/?page=overview");
    await page.getByRole("heading", { level: 1, name: "Subscriptions overview" }).waitFor();
    await countsTable().waitFor();
    await expect.poll(() => clockGroup().locator("time").count(), patiently).toBe(1);
    expect(await clockGroup().getByRole("button").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Advance to next month" }).count()).toBe(0);
    expect(await main().getByRole("button", { name: "Change the budget" }).count()).toBe(0);
    expect(await main().getByRole("button", { name: "View settings" }).isVisible()).toBe(true);
    expect(c.pageErrors).toEqual([]);
  });
});
