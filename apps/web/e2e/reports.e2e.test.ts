import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activityReportColumns, defaultReportRange } from "@seatdesk/domain";
import { openConsole, patiently, type Console } from "./browser";

/**
 * The Reports page (issue 15, "User activity report") in a real browser against the real server and its
 * seeded demo: usage recorded through the API with a key made here shows in the page's table once the range
 * takes in today, and "Download CSV" saves the streamed file with the same rows.
 */

let c: Console;
let page: Page;
let profileId: string;
let now: string;
let user: { userId: string; email: string };

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

const main = () => page.getByRole("main");

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.signIn();
  profileId = (await query<{ profile: { id: string } | null }>("profiles.byRegion", { region: "us-east-1" })).profile!.id;
  now = (await query<{ now: string }>("clock.get")).now;
  const { key } = await mutate<{ key: string }>("keys.create", { profileId, name: "Reports e2e" });
  const active = await query<{ rows: { userId: string; email: string }[] }>("subscriptions.list", { profileId, status: "active", limit: 1 });
  user = active.rows[0]!;
  const bearer = { authorization: `Bearer ${key}` };
  await mutate("usage.record", { userId: user.userId, credits: 12.5, client: "ide", occurredAt: now, idempotencyKey: "reports-e2e-1" }, bearer);
  await mutate("usage.record", { userId: user.userId, credits: 0.75, client: "cli", occurredAt: now, idempotencyKey: "reports-e2e-2" }, bearer);
});

afterAll(async () => {
  await c?.close();
});

describe("Reports", () => {
  it("opens from the navigation with the last 7 days; today's usage shows once the range takes it in; the CSV downloads", async () => {
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Reports" }).click();
    await page.getByRole("heading", { level: 1, name: "Reports" }).waitFor();
    expect(new URL(page.url()).searchParams.get("page")).toBe("reports");
    const range = defaultReportRange(new Date(now));
    const from = main().getByLabel("From (UTC)");
    const to = main().getByLabel("To (UTC)");
    await expect.poll(() => from.inputValue(), patiently).toBe(range.from);
    expect(await to.inputValue()).toBe(range.to);

    const today = now.slice(0, 10);
    await to.fill(today);
    const table = main().getByRole("table", { name: "User activity by day, user and client" });
    const row = (client: string) => table.locator("tbody tr").filter({ hasText: user.email }).filter({ has: page.getByRole("cell", { name: client, exact: true }) });
    await row("ide").first().waitFor(patiently);
    const cells = await row("ide").first().locator("td").allInnerTexts();
    expect(cells.slice(0, 4)).toEqual([today, user.email, "ide", "1"]);
    expect(cells[4]).toBe("12.50");
    expect(await row("cli").first().locator("td").nth(4).innerText()).toBe("0.75");
    await c.shot("reports-page.png");

    const link = main().getByRole("link", { name: "Download CSV" });
    expect(await link.getAttribute("href")).toBe(`/api/reports/activity.csv?profileId=${profileId}&from=${range.from}&to=${today}`);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe(`activity-us-east-1-${range.from}-to-${today}.csv`);
    const text = await readFile((await download.path())!, "utf8");
    const lines = text.split("\r\n").filter((l) => l !== "");
    expect(lines[0]).toBe(activityReportColumns.map((col) => col.name).join(","));
    const mine = lines.filter((l) => l.includes(`,${user.userId},`) && l.startsWith(today));
    expect(mine.map((l) => l.split(",").slice(5, 8))).toEqual([
      ["cli", "1", "0.75"],
      ["ide", "1", "12.50"],
    ]);
    expect(c.pageErrors).toEqual([]);
  });
});
