import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * Issue 15, "The console": the Users tab sorts by clicking its headers (name, credits used, last active),
 * filters by activity and by "runs out this month", shows the server's forecast, fits 768 px without the page
 * scrolling sideways (Users and Groups tabs), ends with its table at 1280 px, and a downgrade that a group
 * keeps at a higher tier is told as such. In a real browser against the real server and its seeded demo.
 */
let c: Console;
let profileId: string;

type Row = {
  userId: string;
  displayName: string;
  email: string;
  status: string | null;
  source: { direct: string | null; groups: { displayName: string; tier: string }[] };
  forecast: { allowanceRunsOutOn: string | null; accessStopsOn: string | null; stopReason: string | null } | null;
};

async function api<T>(path: string, input?: unknown): Promise<T> {
  const res = await c.page.request.get(`/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
async function post<T>(path: string, input: unknown): Promise<T> {
  const res = await c.page.request.post(`/trpc/${path}`, { data: input, headers: { "content-type": "application/json", origin: c.server.url } });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
const apiNames = async (filter: Record<string, unknown>, limit = 12) => (await api<{ rows: Row[] }>("subscriptions.list", { profileId, limit, ...filter })).rows.map((r) => r.displayName);

const usersTable = () => c.page.getByRole("table", { name: "Users" });
/** The names shown in the table's first rows, once it has settled. */
async function shownNames(n = 12): Promise<string[]> {
  await c.page.locator('table.users-table[aria-busy="false"]').waitFor();
  return (await usersTable().locator("tbody tr .name").allInnerTexts()).slice(0, n);
}
const sortButton = (label: string) => usersTable().getByRole("button", { name: new RegExp(`^${label}`) });
const header = (label: string) => usersTable().getByRole("columnheader", { name: new RegExp(`^${label}`) });
const overflow = () => c.page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, scrollHeight: document.documentElement.scrollHeight, innerHeight: window.innerHeight }));
const day = (iso: string) => new Date(iso).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

beforeAll(async () => {
  c = await openConsole({ width: 1280, height: 800 });
  await c.signIn();
  profileId = (await api<{ profile: { id: string } }>("profiles.byRegion", { region: "us-east-1" })).profile.id;
}, 180_000);
afterAll(() => c?.close());

/** A fresh Users tab: no filter, search or sort left from an earlier step. */
async function freshUsersTab() {
  await c.page.goto("/");
  await usersTable().waitFor();
}

describe("the Users tab (issue 15)", () => {
  it("at 1280 px the page ends with the table: the rows scroll inside it", async () => {
    await usersTable().waitFor();
    await shownNames();
    await c.shot("users-tab-1280.png");
    const o = await overflow();
    expect(o.scrollHeight).toBeLessThanOrEqual(o.innerHeight);
    expect(o.scrollWidth).toBeLessThanOrEqual(o.innerWidth);
    const box = await c.page.locator(".table-scroll").boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(o.innerHeight);
  });

  it("sorts by clicking the headers: credits used, last active, name; both directions, as the server orders them", async () => {
    await sortButton("Credits this month").click();
    await expect.poll(() => header("Credits this month").getAttribute("aria-sort"), patiently).toBe("descending");
    await expect.poll(() => shownNames(), patiently).toEqual(await apiNames({ sort: "creditsUsed", order: "desc" }));
    await sortButton("Credits this month").click();
    await expect.poll(() => header("Credits this month").getAttribute("aria-sort"), patiently).toBe("ascending");
    await expect.poll(() => shownNames(), patiently).toEqual(await apiNames({ sort: "creditsUsed", order: "asc" }));
    await sortButton("Last active").click();
    await expect.poll(() => header("Last active").getAttribute("aria-sort"), patiently).toBe("descending");
    expect(await header("Credits this month").getAttribute("aria-sort")).toBeNull();
    await expect.poll(() => shownNames(), patiently).toEqual(await apiNames({ sort: "lastActive", order: "desc" }));
    // The most recently active person is first: their last active is the latest shown.
    const mostRecent = (await api<{ rows: { lastActiveAt: string | null }[] }>("subscriptions.list", { profileId, limit: 50 })).rows.map((r) => r.lastActiveAt).filter(Boolean).sort().at(-1);
    expect((await api<{ rows: { lastActiveAt: string | null }[] }>("subscriptions.list", { profileId, limit: 1, sort: "lastActive", order: "desc" })).rows[0]!.lastActiveAt! >= mostRecent!).toBe(true);
    await c.shot("users-tab-sorted-last-active.png");
    await sortButton("Name").click();
    await expect.poll(() => header("Name").getAttribute("aria-sort"), patiently).toBe("ascending");
    await expect.poll(() => shownNames(), patiently).toEqual(await apiNames({}));
  });

  it("filters idle seats, with the total the server counts", async () => {
    await freshUsersTab();
    await c.page.getByRole("combobox", { name: "Last active" }).selectOption({ label: "Idle 7+ days" });
    const filter = { lastActive: { kind: "idle", days: 7 } };
    const { count } = await api<{ count: number }>("subscriptions.count", { profileId, ...filter });
    await expect.poll(() => shownNames(), patiently).toEqual(await apiNames(filter));
    await expect.poll(() => c.page.locator(".total-count").innerText(), patiently).toBe(`${count.toLocaleString("en-US")} ${count === 1 ? "user" : "users"}`);
    await c.page.getByRole("combobox", { name: "Last active" }).selectOption({ label: "Never active" });
    await expect.poll(() => shownNames(), patiently).toEqual(await apiNames({ lastActive: { kind: "never" } }));
    expect((await shownNames()).length).toBeGreaterThan(0);
    await c.shot("users-tab-never-active.png");
    await c.page.getByRole("combobox", { name: "Last active" }).selectOption({ label: "Any activity" });
  });

  it("shows the forecast the server wrote, and filters to who runs out this month", async () => {
    // A Pro user uses the tool heavily through the usage API (a key made by the admin): 400 credits on each of
    // the last three days, so their 1,000 run out this month.
    const now = new Date((await api<{ now: string }>("clock.get")).now);
    const heavy = (await api<{ rows: Row[] }>("subscriptions.list", { profileId, limit: 200, status: "active", tier: "pro" })).rows[0]!;
    const { key } = await post<{ key: string }>("keys.create", { profileId, name: "forecast check" });
    for (let d = 1; d <= 3; d++) {
      const at = new Date(now.getTime() - d * 86_400_000 + 60_000);
      if (at.getUTCMonth() !== now.getUTCMonth()) continue;
      const res = await c.page.request.post("/trpc/usage.record", {
        data: { userId: heavy.userId, credits: 400, client: "ide", occurredAt: at.toISOString(), idempotencyKey: `forecast-${d}` },
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      });
      expect(res.status(), await res.text()).toBe(200);
    }
    // The forecast job runs with the scheduled jobs; a day's move of the test clock runs them.
    await post("clock.advance", { to: new Date(now.getTime() + 86_400_000).toISOString() });
    const runsOut = (await api<{ rows: Row[] }>("subscriptions.list", { profileId, limit: 200, runsOutThisMonth: true })).rows;
    expect(runsOut.map((r) => r.userId)).toContain(heavy.userId);
    await freshUsersTab();
    await c.page.getByRole("checkbox", { name: "Runs out this month" }).check();
    await expect.poll(() => shownNames(), patiently).toEqual(runsOut.slice(0, 12).map((r) => r.displayName));
    const first = runsOut[0]!;
    const cell = usersTable().getByRole("row").filter({ hasText: first.email }).locator(".cell-forecast");
    const f = first.forecast!;
    const expected =
      f.stopReason === "allowance" && f.accessStopsOn === f.allowanceRunsOutOn ? `blocked ${day(f.accessStopsOn!)} (allowance)` : `runs out ${day(f.allowanceRunsOutOn!)}`;
    await expect.poll(() => cell.innerText(), patiently).toContain(expected);
    await c.shot("users-tab-runs-out.png");
    await c.page.getByRole("checkbox", { name: "Runs out this month" }).uncheck();
  });

  it("a downgrade a group keeps at a higher tier says so in the notice", async () => {
    await freshUsersTab();
    const { page } = c;
    const active = (await api<{ rows: Row[] }>("subscriptions.list", { profileId, limit: 200, status: "active" })).rows;
    const u = active.find((r) => !r.source.direct && r.source.groups.length > 0 && r.source.groups.every((g) => g.tier === "pro_plus"));
    expect(u, "an Active user covered only by a Pro+ group").toBeDefined();
    await post("subscriptions.subscribe", { profileId, userIds: [u!.userId], tier: "power" });
    await page.getByRole("searchbox", { name: "Search users" }).fill(u!.email);
    const row = usersTable().getByRole("row").filter({ hasText: u!.email });
    await expect.poll(() => row.innerText(), patiently).toContain("Power");
    await row.getByRole("button", { name: `Actions for ${u!.displayName}` }).click();
    await page.getByRole("menuitem", { name: "Change plan" }).click();
    const dialog = page.getByRole("dialog", { name: "Change plan" });
    await dialog.getByRole("radio", { name: /^Pro \$20/ }).check();
    await expect.poll(() => dialog.innerText(), patiently).toMatch(/downgrade on/);
    await dialog.getByRole("button", { name: "Change plan" }).click();
    await dialog.waitFor({ state: "hidden" });
    const notice = page.locator(".flash-text");
    await expect.poll(() => notice.innerText(), patiently).toMatch(/^1 user moves down to Pro\+ on \w{3} \d+, not Pro: a group keeps them at Pro\+\.$/);
    expect(await notice.innerText()).not.toMatch(/Changed/);
    await c.shot("users-tab-downgrade-kept-by-group.png");
    await page.getByRole("searchbox", { name: "Search users" }).fill("");
  });

  it("at 768 px neither the Users tab nor the Groups tab scrolls the page sideways", async () => {
    await freshUsersTab();
    await c.page.setViewportSize({ width: 768, height: 1024 });
    await shownNames();
    await c.shot("users-tab-768.png");
    await expect.poll(async () => (await overflow()).scrollWidth, patiently).toBeLessThanOrEqual(768);
    await c.page.getByRole("tab", { name: "Groups" }).click();
    await c.page.locator('table[aria-busy="false"]').filter({ has: c.page.locator("caption", { hasText: "Groups" }) }).waitFor();
    await c.page.getByRole("table", { name: "Groups" }).locator("tbody tr").first().waitFor();
    await c.shot("groups-tab-768.png");
    await expect.poll(async () => (await overflow()).scrollWidth, patiently).toBeLessThanOrEqual(768);
    expect(c.pageErrors).toEqual([]);
  });
});
