import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * Prices and the money of a change come from the server: the tiers, prices and overage price the console
 * shows are `catalog.get`'s answer (a different answer shows different prices: nothing is bundled), and the
 * Subscribe dialog shows the server's preview (`subscriptions.previewChange`) before anything is written:
 * who moves up now and what that costs this month, who is new and Pending, and the money from next month.
 */
let c: Console;
let page: Page;
let profileId: string;

interface CatalogAnswer {
  tiers: { id: string; name: string; rank: number; priceCents: number; allowanceCenticredits: number }[];
  overageCentsPerCredit: number;
}
interface PreviewAnswer {
  users: { userId: string; name: string | null; outcome: { kind: string }; thisMonthEstimateCents: { delta: number }; nextMonthCents: number }[];
  thisMonthDeltaEstimateCents: number;
  nextMonthCents: number;
}
type Row = { userId: string; displayName: string; email: string; tier: string | null; status: string | null; source: { direct: string | null; groups: unknown[] } };

/** The API as the signed-in page calls it (same cookie, same origin). */
async function api<T>(path: string, input?: unknown): Promise<T> {
  const res = await page.request.get(`/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
const rowsWhere = async (filter: Record<string, unknown>) => (await api<{ rows: Row[] }>("subscriptions.list", { profileId, limit: 200, ...filter })).rows;

// The test's own rendering of amounts, to compare what the page shows with what the API answered.
const usd = (cents: number) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100);
const price = (cents: number) => (cents % 100 === 0 ? `$${(cents / 100).toLocaleString("en-US")}` : usd(cents));
const delta = (cents: number) => (cents === 0 ? usd(0) : `${cents > 0 ? "+" : "−"}${usd(Math.abs(cents))}`);

const usersTable = () => page.getByRole("table", { name: "Users" });
const rowOf = (email: string) => usersTable().getByRole("row").filter({ hasText: email });

async function select(row: Row) {
  await page.getByRole("searchbox", { name: "Search users" }).fill(row.email);
  await rowOf(row.email).waitFor();
  await rowOf(row.email).getByRole("checkbox", { name: `Select ${row.displayName}` }).check();
}

async function openUsers() {
  await page.goto("/?region=us-east-1");
  await usersTable().waitFor();
}

async function openSettings() {
  await page.goto("/?region=us-east-1&page=settings");
  await page.getByRole("switch", { name: "Overages" }).waitFor();
}

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.signIn();
  profileId = (await api<{ profile: { id: string } }>("profiles.byRegion", { region: "us-east-1" })).profile.id;
}, 180_000);
afterAll(() => c?.close());

describe("prices come from the API", () => {
  it("the Subscribe dialog's tiers are catalog.get's tiers, names, prices and credits, in rank order", async () => {
    const catalog = await api<CatalogAnswer>("catalog.get");
    // The server runs the default catalog of DESIGN.md §2.
    expect(catalog.tiers.map((t) => [t.name, t.priceCents, t.allowanceCenticredits])).toEqual([
      ["Pro", 2000, 100_000],
      ["Pro+", 4000, 200_000],
      ["Power", 20000, 1_000_000],
    ]);
    const someone = (await rowsWhere({ status: "unsubscribed" })).find((r) => r.email);
    expect(someone, "a person who is not subscribed").toBeDefined();
    await openUsers();
    await select(someone!);
    await page.getByRole("button", { name: "Subscribe", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Subscribe users" });
    await dialog.waitFor();
    const labels = await dialog.locator(".tier-option").evaluateAll((els) => els.map((el) => (el as HTMLElement).innerText.replace(/\s+/g, " ").trim()));
    expect(labels).toEqual(catalog.tiers.map((t) => `${t.name} ${price(t.priceCents)}/mo ${(t.allowanceCenticredits / 100).toLocaleString("en-US")} credits a month`));
    expect(labels[0]).toBe("Pro $20/mo 1,000 credits a month");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
  });

  it("the Settings page's overage price and first-month example are the server's", async () => {
    const catalog = await api<CatalogAnswer>("catalog.get");
    await openSettings();
    const overages = await page.getByRole("region", { name: "Overages", exact: true }).innerText();
    expect(overages).toContain(`${usd(catalog.overageCentsPerCredit)} per credit`);
    expect(overages).toContain("$0.04 per credit");
    // Pro at $20.00 from the 16th of a 30-day month: 15 of 30 days, $10.00 (the domain's computeCharge).
    expect(await page.getByRole("region", { name: "Cancellations and first month" }).innerText()).toContain(
      "Pro activated on the 16th of a 30-day month costs $10.00 (15 of its 30 days).",
    );
  });

  it("a different catalog from the API is what every page shows: the console bundles no prices", async () => {
    const other: CatalogAnswer = {
      tiers: [
        { id: "pro", name: "Starter", rank: 1, priceCents: 1250, allowanceCenticredits: 50_000 },
        { id: "pro_plus", name: "Team", rank: 2, priceCents: 3300, allowanceCenticredits: 150_000 },
        { id: "power", name: "Max", rank: 3, priceCents: 99_900, allowanceCenticredits: 5_000_000 },
      ],
      overageCentsPerCredit: 7,
    };
    // The console batches its first queries: answer catalog.get's place in the batch with the other catalog.
    const swap = async (route: Route) => {
      const response = await route.fetch();
      const paths = new URL(route.request().url()).pathname.replace(/^\/trpc\//, "").split(",");
      const body = (await response.json()) as unknown;
      const at = paths.indexOf("catalog.get");
      if (Array.isArray(body)) body[at] = { result: { data: other } };
      await route.fulfill({ response, json: Array.isArray(body) ? body : { result: { data: other } } });
    };
    await page.route(/\/trpc\/[^?]*catalog\.get/, swap);
    try {
      await openSettings();
      const overages = page.getByRole("region", { name: "Overages", exact: true });
      await expect.poll(async () => overages.innerText(), patiently).toContain("$0.07 per credit");
      // Starter at $12.50 from the 16th of a 30-day month: $6.25.
      expect(await page.getByRole("region", { name: "Cancellations and first month" }).innerText()).toContain(
        "Starter activated on the 16th of a 30-day month costs $6.25 (15 of its 30 days).",
      );
      // A $100 budget buys $100 ÷ $0.07 = 1,428.571… credits, rounded down to the hundredth (the domain's budgetInCenticredits).
      const limits = page.getByRole("region", { name: "Overage limits" });
      await limits.getByRole("textbox", { name: "Monthly budget in US dollars" }).fill("100");
      expect(await limits.innerText()).toContain("$100.00 pays for 1,428.57 credits of overage.");
      await limits.getByRole("textbox", { name: "Default cap in credits" }).fill("250.5");
      // 250.5 credits × $0.07 = $17.535, rounded half-up once: $17.54.
      expect(await limits.innerText()).toContain("At most $17.54 of overage per person a month, at $0.07 per credit.");

      await openUsers();
      const someone = (await rowsWhere({ status: "unsubscribed" })).find((r) => r.email);
      await select(someone!);
      await page.getByRole("button", { name: "Subscribe", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: "Subscribe users" });
      await dialog.waitFor();
      const labels = await dialog.locator(".tier-option").evaluateAll((els) => els.map((el) => (el as HTMLElement).innerText.replace(/\s+/g, " ").trim()));
      expect(labels).toEqual(["Starter $12.50/mo 500 credits a month", "Team $33/mo 1,500 credits a month", "Max $999/mo 50,000 credits a month"]);
      expect(await dialog.innerText()).toContain("1 user will be subscribed to Starter.");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
    } finally {
      await page.unroute(/\/trpc\/[^?]*catalog\.get/, swap);
    }
  });
});

describe("the Subscribe dialog shows the server's preview before anything is written", () => {
  it("users: one Active on Pro moves up now and costs the difference this month; a new person is Pending", async () => {
    const up = (await rowsWhere({ status: "active", tier: "pro" })).find((r) => r.source.direct && r.source.groups.length === 0);
    const fresh = (await rowsWhere({ status: "unsubscribed" })).find((r) => r.email);
    expect(up, "an Active user with a direct Pro plan and no group").toBeDefined();
    expect(fresh, "a person who is not subscribed").toBeDefined();
    const server = await api<PreviewAnswer>("subscriptions.previewChange", { profileId, userIds: [up!.userId, fresh!.userId], tier: "pro_plus" });

    await openUsers();
    await select(up!);
    await select(fresh!);
    await page.getByRole("button", { name: "Subscribe", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Subscribe users" });
    await dialog.waitFor();
    const subscribe = dialog.getByRole("button", { name: "Subscribe", exact: true });
    await dialog.getByRole("radio", { name: /^Pro\+ / }).check();
    // Active since before this month on Pro ($20): Pro+ ($40) now re-rates the month, +$20.00 due now.
    await expect.poll(async () => dialog.innerText(), patiently).toContain(`${up!.displayName}: upgrade now to Pro+, +$20.00 this month`);
    const text = await dialog.innerText();
    expect(text).toContain(`${fresh!.displayName}: subscribed to Pro+, Pending: nothing until they first use the tool, then $40.00 a month`);
    expect(text).toContain("1 upgraded now · 1 new, Pending");
    expect(text).toContain("This month: +$20.00 (estimate) · From next month: $80.00 a month for 2 people, Pending people once they first use the tool");
    // The same figures as the API's preview: nothing added up in the page.
    expect(server.thisMonthDeltaEstimateCents).toBe(2000);
    expect(server.nextMonthCents).toBe(8000);
    expect(text).toContain(`This month: ${delta(server.thisMonthDeltaEstimateCents)} (estimate) · From next month: ${usd(server.nextMonthCents)} a month`);
    expect(await subscribe.isEnabled()).toBe(true);
    await c.shot("subscribe-dialog-preview.png");

    await subscribe.click();
    await dialog.waitFor({ state: "hidden" });
    for (const [who, status] of [[up!, "active"], [fresh!, "pending"]] as const) {
      await expect.poll(async () => (await rowsWhere({ search: who.email })).find((r) => r.userId === who.userId), patiently).toMatchObject({ tier: "pro_plus", status });
    }
    // What the preview said is what the month now costs: the same preview again changes nothing.
    const again = await api<PreviewAnswer>("subscriptions.previewChange", { profileId, userIds: [up!.userId, fresh!.userId], tier: "pro_plus" });
    expect(again.users.map((u) => u.outcome.kind).sort()).toEqual(["unchanged", "unchanged"]);
    expect(again.thisMonthDeltaEstimateCents).toBe(0);
  });

  it("a group: each member's outcome, the counts and the money are the server's preview", async () => {
    const groups = (await api<{ rows: { groupId: string; displayName: string; tier: string | null; members: number }[] }>("subscriptions.listGroups", { profileId, limit: 100 })).rows;
    const group = groups.find((g) => g.displayName === "Mobile");
    expect(group, "the demo's Mobile group, with no plan").toMatchObject({ tier: null });
    const server = await api<PreviewAnswer>("subscriptions.previewChange", { profileId, groupIds: [group!.groupId], tier: "pro_plus" });
    const kinds = server.users.map((u) => u.outcome.kind);
    // The demo's Mobile group overlaps Engineering (Pro): some members move up now and cost the difference.
    expect(kinds).toContain("upgraded");
    expect(server.thisMonthDeltaEstimateCents).toBeGreaterThan(0);

    await page.goto("/?region=us-east-1");
    await page.getByRole("tab", { name: "Groups" }).click();
    const row = page.getByRole("table", { name: "Groups" }).getByRole("row").filter({ hasText: "Mobile" });
    await row.getByRole("checkbox", { name: "Select Mobile" }).check();
    await page.getByRole("button", { name: "Subscribe", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Subscribe groups" });
    await dialog.getByRole("radio", { name: /^Pro\+ / }).check();
    await expect
      .poll(async () => dialog.innerText(), patiently)
      .toContain(`This month: ${delta(server.thisMonthDeltaEstimateCents)} (estimate) · From next month: ${usd(server.nextMonthCents)} a month for ${server.users.length} people`);
    const text = await dialog.innerText();
    expect(text).toContain("1 group will be assigned Pro+.");
    const upgraded = kinds.filter((k) => k === "upgraded").length;
    expect(text).toContain(`${upgraded} upgraded now`);
    const unchanged = kinds.filter((k) => k === "unchanged").length;
    if (unchanged > 0) expect(text).toContain(`${unchanged} unchanged`);
    const fresh = kinds.filter((k) => k === "subscribed").length;
    if (fresh > 0) expect(text).toContain(`${fresh} new, Pending`);
    // Every line the dialog lists is the server's answer for that person; those whose bill changes now come first.
    const lines = await dialog.locator(".preview-list li:not(.muted)").allInnerTexts();
    expect(lines.length).toBe(Math.min(8, server.users.length));
    for (const line of lines) {
      const u = server.users.find((x) => line.startsWith(`${x.name}: `));
      expect(u, line).toBeDefined();
      if (u!.outcome.kind === "upgraded") expect(line).toBe(`${u!.name}: upgrade now to Pro+, ${delta(u!.thisMonthEstimateCents.delta)} this month`);
    }
    expect(lines.slice(0, upgraded).every((l) => l.includes("upgrade now to Pro+, +$20.00 this month")), lines.join("\n")).toBe(true);
    await c.shot("subscribe-group-preview.png");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
  });
});
