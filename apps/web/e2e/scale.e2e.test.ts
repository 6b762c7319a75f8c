import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * Issue 7, "Quality": the Users tab shows its first page within 1.5 s of navigation with 100,000
 * users in the profile, on this machine; scrolling deep keeps the page light. The demo is seeded
 * with 100,000 more people (SEATDESK_DEMO_EXTRA_USERS).
 */
const users = 100_000;
let c: Console;

beforeAll(async () => {
  c = await openConsole({ width: 1280, height: 800 }, { SEATDESK_DEMO_EXTRA_USERS: String(users) });
  await c.signIn();
}, 240_000);
afterAll(() => c?.close());

describe(`the Users tab with ${users.toLocaleString("en-US")} more people`, () => {
  it("shows its first page within 1.5 s of navigation, and the timing is printed", async () => {
    const { page } = c;
    const rows = page.locator('table[aria-label="Users"], table').filter({ has: page.locator("caption", { hasText: "Users" }) }).locator("tbody tr:has(.name)");
    const times: number[] = [];
    // Three navigations: the first warms the server's prepared statements and the browser's cache.
    for (let i = 0; i < 3; i++) {
      await page.goto("/?region=us-east-1&page=overview");
      await page.getByRole("navigation", { name: "Console" }).waitFor();
      const t0 = Date.now();
      await page.getByRole("link", { name: "Users & Groups" }).click();
      await rows.first().waitFor();
      times.push(Date.now() - t0);
    }
    const best = Math.min(...times.slice(1));
    // And a full page load of the Users tab's address (HTML, JavaScript, session, profile, first page).
    const t0 = Date.now();
    await page.goto("/?region=us-east-1");
    await rows.first().waitFor();
    const load = Date.now() - t0;
    process.stdout.write(
      `Users tab first page with ${users.toLocaleString("en-US")}+ users: in-console navigation ${times.map((t) => `${t} ms`).join(", ")} ` +
        `(after warm-up: ${best} ms); full page load ${load} ms\n`,
    );
    expect(best).toBeLessThan(1_500);
    expect(load).toBeLessThan(1_500);
    await c.shot("users-tab-100k.png");
  });

  it("scrolls a thousand rows deep with only the rows in view in the page", async () => {
    const { page } = c;
    const scroller = page.locator(".table-scroll");
    await expect
      .poll(async () => {
        await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        const text = (await page.locator(".shown-count").innerText()).replace(/[^\d]/g, "");
        return Number(text);
      }, { ...patiently, timeout: 30_000 })
      .toBeGreaterThanOrEqual(1_000);
    const rendered = await page.locator("table tbody tr:has(.name)").count();
    expect(rendered).toBeLessThan(80);
    expect(c.pageErrors).toEqual([]);
  });
});
