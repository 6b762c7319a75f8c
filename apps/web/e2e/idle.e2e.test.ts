import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * Idle seats (issue 15) in a real browser against the seeded demo: the clock moves 40 days on (nobody uses
 * the tool meanwhile), the Users & Groups page's "Idle seats" tab lists the idle seats with the server's
 * count and monthly cost, and Settings previews what the automation would do before it is saved.
 */
let c: Console;
let page: Page;

async function trpcMutate<T>(path: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/trpc/${path}`, { data: input, headers: { "content-type": "application/json", Origin: c.server.url } });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
  return body.result.data;
}
async function trpcQuery<T>(path: string, input: unknown): Promise<T> {
  const res = await page.request.get(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
  return body.result.data;
}

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.signIn();
  const { now } = await trpcQuery<{ now: string }>("clock.get", undefined);
  await trpcMutate("clock.advance", { to: new Date(Date.parse(now) + 40 * 86_400_000).toISOString() });
}, 240_000);
afterAll(async () => {
  await c?.close();
});

describe("Idle seats", () => {
  it("the Idle seats tab lists seats idle 30 days with the total count and monthly cost the server counted", async () => {
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Users & Groups" }).click();
    await page.getByRole("tab", { name: "Idle seats" }).click();
    const region = page.getByRole("region", { name: "Idle seats" });
    const total = region.locator(".idle-total");
    await total.waitFor(patiently);
    expect(await total.innerText()).toMatch(/^[\d,]+ idle seats?, costing \$[\d,]+\.\d\d a month$/);
    const profileId = new URL(page.url()).searchParams.get("profile");
    const table = region.getByRole("table");
    await table.waitFor();
    const header = await table.getByRole("columnheader").allInnerTexts();
    expect(header).toEqual(["Name", "Tier", "Status", "Last active", "Idle days", "Cost per month"]);
    const firstRow = table.getByRole("row").nth(1);
    expect(Number((await firstRow.getByRole("cell").nth(4).innerText()).trim())).toBeGreaterThanOrEqual(30);
    if (profileId) {
      const answer = await trpcQuery<{ total: { count: number; monthlyCostCents: number } }>("idle.list", { profileId, days: 30 });
      expect(await total.innerText()).toContain(`${answer.total.count.toLocaleString("en-US")} idle seat`);
    }
    await page.getByLabel("Idle for at least").selectOption("90");
    await expect.poll(() => region.innerText(), patiently).toContain("No seat has been idle for 90 days or more.");
    await page.getByLabel("Idle for at least").selectOption("30");
    await table.waitFor();
    await c.shot("idle-seats-view.png");
    expect(c.pageErrors).toEqual([]);
  });

  it("Settings shows what the automation would do before it is saved, then saves it", async () => {
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Settings" }).click();
    const region = page.getByRole("region", { name: "Idle seats" });
    await region.waitFor();
    const preview = region.getByTestId("idle-preview");
    expect(await preview.innerText()).toContain("Off: nothing is done automatically.");
    await region.getByLabel("Warn after (days idle)").fill("30");
    await region.getByLabel("Then deactivate the plan after (days)").fill("14");
    await region.getByLabel("Pending seats expire after (days)").fill("30");
    await expect.poll(() => preview.innerText(), patiently).toMatch(/^If saved now, this would warn [\d,]+ seats? .*deactivate 0 seats, saving \$0\.00 a month, and expire [\d,]+ Pending seats?\.$/);
    const sentence = await preview.innerText();
    expect(sentence).toMatch(/warn [1-9][\d,]* seats? \(deactivating their own plans on \d{4}-\d\d-\d\d if they stay idle would save \$[\d,]+\.\d\d a month\)/);
    await region.scrollIntoViewIfNeeded();
    await c.shot("idle-settings-preview.png");
    await region.getByLabel("Then deactivate the plan after (days)").fill("");
    await region.getByLabel("Warn after (days idle)").fill("");
    await region.getByLabel("Then deactivate the plan after (days)").fill("14");
    await expect.poll(() => preview.innerText(), patiently).toMatch(/^idleDeactivateDays: /);
    await region.getByLabel("Warn after (days idle)").fill("30");
    await region.getByRole("button", { name: "Save idle-seat setting" }).click();
    await expect.poll(() => region.innerText(), patiently).toContain("Saved.");
    await expect.poll(() => preview.innerText(), patiently).toMatch(/^At the next run this will warn/);
    expect(c.pageErrors).toEqual([]);
  });
});
