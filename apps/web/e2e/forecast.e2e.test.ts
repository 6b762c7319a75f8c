import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, shotsDir, type Console } from "./browser";

/**
 * Forecasts (issue 15) in a real browser against the real server and its seeded demo: the clock is moved to the
 * next UTC day so the daily forecast runs, then the user page's forecast, the overview's and the right-sizing
 * view are compared with what the API answers.
 */

let c: Console;
let page: Page;
let profileId: string;
let userId: string;

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
const credits = (cc: number) => `${new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(cc / 100)} credits`;
const day = (iso: string) => new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));

interface UserForecast {
  forecast: { burnCcPerDay: number; allowanceRunsOutOn: string | null; accessStopsOn: string | null; stopReason: string | null } | null;
}

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.signIn();
  profileId = (await call<{ profile: { id: string } }>("GET", "profiles.byRegion", { region: "us-east-1" })).profile.id;
  // The 10th of next month (that month's first days open), usage on the 4th–9th through the usage API for one
  // Active user, then the 11th: the daily forecast runs with those days in its window.
  const { now } = await call<{ now: string }>("GET", "clock.get");
  const at = (d: number, h: number) => {
    const x = new Date(now);
    return new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth() + 1, d, h, 30)).toISOString();
  };
  await call("POST", "clock.advance", { to: at(10, 0) });
  const active = await call<{ rows: { userId: string }[] }>("GET", "subscriptions.list", { profileId, limit: 5, status: "active" });
  userId = active.rows[0]!.userId;
  const { key } = await call<{ key: string }>("POST", "keys.create", { profileId, name: "forecast e2e" });
  for (let d = 4; d <= 9; d++) {
    const res = await page.request.post("/trpc/usage.record", {
      data: { userId, credits: 100, client: "ide", occurredAt: at(d, 12), idempotencyKey: `forecast-e2e-${d}` },
      headers: { Authorization: `Bearer ${key}`, "content-type": "application/json" },
    });
    expect(res.ok(), await res.text()).toBe(true);
  }
  await call("POST", "clock.advance", { to: at(11, 0) });
}, 240_000);
afterAll(() => c?.close());

describe("Forecasts in the console", () => {
  it("the user page shows the user's burn rate and run-out days as the API computes them", async () => {
    const { forecast: f } = await call<UserForecast>("GET", "forecasts.user", { profileId, userId });
    // 600 credits in the 7-day window: 60,000 / 7 = 8,571.43 → 8,571 hundredths a day.
    expect(f?.burnCcPerDay).toBe(8_571);
    await page.goto(`/?region=us-east-1&page=user&user=${userId}`);
    const card = page.getByTestId("user-forecast");
    await expect.poll(() => card.getByTestId("forecast-burn").innerText(), patiently).toBe(`${credits(f!.burnCcPerDay)} a day`);
    expect(await card.getByTestId("forecast-allowance").innerText()).toBe(f!.allowanceRunsOutOn ? day(f!.allowanceRunsOutOn) : "Not this month");
    const stop = await card.getByTestId("forecast-stop").innerText();
    expect(stop.startsWith(f!.accessStopsOn ? day(f!.accessStopsOn) : "Not this month")).toBe(true);
    await card.scrollIntoViewIfNeeded();
    await c.shot("forecast-user.png");
    expect(c.pageErrors).toEqual([]);
  });

  it("the overview shows the profile's forecast", async () => {
    const p = await call<{ forecast: { budgetRunsOutOn: string | null; seats: number } | null }>("GET", "forecasts.profile", { profileId });
    expect(p.forecast).not.toBeNull();
    await page.goto("/?region=us-east-1&page=overview");
    const panel = page.getByTestId("profile-forecast");
    await expect.poll(() => panel.getByTestId("forecast-budget").innerText(), patiently).toBe(p.forecast!.budgetRunsOutOn ? day(p.forecast!.budgetRunsOutOn) : "Not this month");
    await panel.screenshot({ path: join(shotsDir, "forecast-overview.png") });
  });

  it("the right-sizing view lists both lists with the saving per month and the total, reachable from the navigation", async () => {
    const rs = await call<{ rows: { kind: string; displayName: string; savingCentsPerMonth: number }[]; totalSavingCentsPerMonth: number; upgrade: { count: number }; downgrade: { count: number } }>(
      "GET",
      "forecasts.rightSizing",
      { profileId, limit: 500 },
    );
    await page.goto("/?region=us-east-1&page=users");
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Right-sizing" }).or(page.getByRole("navigation", { name: "Console" }).getByRole("button", { name: "Right-sizing" })).first().click();
    await expect.poll(() => page.getByTestId("rs-total").innerText(), patiently).toContain(`${money(rs.totalSavingCentsPerMonth)} a month`);
    for (const kind of ["upgrade", "downgrade"] as const) {
      const section = page.getByTestId(`rs-${kind}`);
      const mine = rs.rows.filter((r) => r.kind === kind);
      expect(await section.locator("tbody tr").count()).toBe(mine.length);
      if (mine[0]) expect(await section.locator("tbody tr").first().locator("td").last().innerText()).toBe(money(mine[0].savingCentsPerMonth));
    }
    await c.shot("forecast-rightsizing.png");
    expect(c.pageErrors).toEqual([]);
  });
});
