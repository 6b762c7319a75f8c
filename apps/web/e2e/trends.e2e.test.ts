import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, shotsDir, type Console } from "./browser";

/**
 * The overview's trends (issue 15) and the user page's audit history naming the group of a membership change,
 * in a real browser against the real server and its seeded demo. The clock is moved to the next month first,
 * so the trends hold a closed month (its invoice) beside the running one.
 */

let c: Console;
let page: Page;
let profileId: string;

interface TrendMonth {
  periodId: string;
  source: "invoice" | "estimate" | "none";
  seats: { total: number };
  activeUsers: number;
  money: { feesCents: number; overageCents: number; totalCents: number };
}

async function call<T>(method: "GET" | "POST", path: string, input?: unknown): Promise<T> {
  const res =
    method === "GET"
      ? await page.request.get(`/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`)
      : await page.request.post(`/trpc/${path}`, { data: input, headers: { Origin: c.server.url, "content-type": "application/json" } });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
  return body.result.data;
}

const money = (cents: number) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100);
const monthName = (periodId: string) => new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(`${periodId}-01T00:00:00Z`));

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.signIn();
  profileId = (await call<{ profile: { id: string } }>("GET", "profiles.byRegion", { region: "us-east-1" })).profile.id;
  await call("POST", "clock.advance", { nextMonth: true });
}, 240_000);
afterAll(() => c?.close());

describe("Trends on the overview", () => {
  it("shows four charts of the last 12 months, each with a figures table of 12 months, with the server's figures", async () => {
    const trends = await call<{ months: TrendMonth[] }>("GET", "dashboard.trends", { profileId });
    expect(trends.months).toHaveLength(12);
    const closed = trends.months.at(-2)!;
    expect(closed.source).toBe("invoice");
    expect(closed.seats.total).toBeGreaterThan(0);

    await page.goto("/?region=us-east-1&page=overview");
    const section = page.getByRole("region", { name: "Trends, last 12 months" });
    await section.scrollIntoViewIfNeeded();
    for (const name of ["Seats by tier", "Active users", "Credits used", "Invoice total"]) {
      await expect.poll(() => section.getByRole("region", { name, exact: true }).getByRole("img", { name: /^Bar chart/ }).count(), patiently).toBe(1);
    }
    // Open every figures table.
    const summaries = section.locator("details.ov-figures > summary");
    expect(await summaries.count()).toBe(4);
    for (let i = 0; i < 4; i++) await summaries.nth(i).click();
    for (const caption of ["Seats per month by tier and status", "Active users per month", "Credits used per month", "Invoice total per month"]) {
      const table = section.getByRole("table", { name: caption });
      // A header row and a row per month.
      expect(await table.getByRole("row").count(), caption).toBe(1 + 12);
    }
    // The closed month's invoice row shows the invoice's money, formatted.
    const invoiceRow = section.getByRole("table", { name: "Invoice total per month" }).getByRole("row", { name: new RegExp(`^${monthName(closed.periodId)} `) });
    const cells = await invoiceRow.locator("th, td").allInnerTexts();
    expect(cells).toEqual([monthName(closed.periodId), money(closed.money.feesCents), money(closed.money.overageCents), money(closed.money.totalCents), "Invoice"]);
    const seatsRow = section.getByRole("table", { name: "Seats per month by tier and status" }).getByRole("row", { name: new RegExp(`^${monthName(closed.periodId)} `) });
    expect((await seatsRow.locator("td").allInnerTexts()).at(-1)).toBe(String(closed.seats.total));
    await section.screenshot({ path: join(shotsDir, "trends-overview.png") });
    expect(c.pageErrors).toEqual([]);
  });
});

describe("The user page's audit history", () => {
  it("names the group whose membership change moved the user's subscription", async () => {
    const group = await call<{ id: string }>("POST", "directory.createGroup", { displayName: "Trends e2e crew" });
    await call("POST", "subscriptions.subscribe", { profileId, groupIds: [group.id], tier: "pro" });
    const unsubscribed = await call<{ rows: { userId: string }[] }>("GET", "subscriptions.list", { profileId, status: "unsubscribed", limit: 1 });
    const userId = unsubscribed.rows[0]!.userId;
    await call("POST", "directory.addMembers", { groupId: group.id, userIds: [userId] });

    await page.goto(`/?region=us-east-1&page=user&user=${userId}`);
    const history = page.getByRole("table", { name: "Audit history" });
    await expect.poll(() => history.getByText("Group: Trends e2e crew").count(), patiently).toBeGreaterThan(0);
    await history.scrollIntoViewIfNeeded();
    await page.locator("section", { has: history }).screenshot({ path: join(shotsDir, "trends-user-audit-names.png") });
    expect(c.pageErrors).toEqual([]);
  });
});
