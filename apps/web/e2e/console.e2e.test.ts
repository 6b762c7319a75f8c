import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, webDir, type RunningServer } from "./server";

/**
 * The console in a real browser against the real server and its seeded demo (240 people, one
 * profile in us-east-1). The steps run in order and share one signed-in page, as a person would.
 */

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];
const shotsDir = join(webDir, "test-output");
const statusLabels = ["Active", "Pending", "Canceled", "Not subscribed"];
/** expect.poll gives up after 1 s by default; a debounced search and a request can take longer on a busy machine. */
const patiently = { timeout: 10_000, interval: 100 };

let server: RunningServer | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const pageErrors: string[] = [];

interface ShownRow {
  name: string;
  email: string;
  tier: string;
  status: string;
  text: string;
  inactive: boolean;
}

const usersTable = () => page.getByRole("table", { name: "Users" });
const settledTable = () => page.locator('table[aria-busy="false"]');

/** The rows as a person reads them, once the table is not loading. */
async function shownRows(): Promise<ShownRow[]> {
  await settledTable().waitFor();
  return usersTable()
    .locator("tbody tr:has(.name)")
    .evaluateAll((rows) =>
      rows.map((tr) => {
        const cells = tr.querySelectorAll("td");
        const text = (el: Element | null | undefined) => (el as HTMLElement | null | undefined)?.innerText.trim() ?? "";
        return {
          name: text(tr.querySelector(".name")),
          email: text(tr.querySelector(".email")),
          tier: text(cells[1]),
          status: text(cells[2]?.querySelector(".badge")),
          text: text(tr),
          inactive: tr.querySelector(".flag") !== null,
        };
      }),
    );
}

const shot = (name: string) => page.screenshot({ path: join(shotsDir, name) });

beforeAll(async () => {
  if (!existsSync(join(webDir, "dist", "index.html"))) {
    throw new Error("apps/web/dist/index.html is missing: build the console first (`pnpm test:e2e` at the root does; or `pnpm --filter @seatdesk/web build`).");
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: \`apt-get install -y chromium\`, or set CHROMIUM_PATH.`);
  }
  mkdirSync(shotsDir, { recursive: true });
  server = await startServer();
  // A fresh profile folder per run: no cookies, cache or settings from an earlier run.
  profileDir = mkdtempSync(join(tmpdir(), "seatdesk-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 800 },
    baseURL: server.url,
    locale: "en-US",
    timezoneId: "America/Los_Angeles",
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe("Seatdesk console", () => {
  it("signs in through the form, and shows the server's message for a wrong password", async () => {
    await page.goto("/");
    await page.getByRole("heading", { level: 1, name: "Sign in to the console" }).waitFor();
    const email = page.getByRole("textbox", { name: "E-mail" });
    const password = page.getByLabel("Password");
    const submit = page.getByRole("button", { name: "Sign in" });
    await shot("signin.png");

    await email.fill(server!.credentials.email);
    await password.fill(`${server!.credentials.password}-wrong`);
    await submit.click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toBe("E-mail or password is wrong");

    await password.fill(server!.credentials.password);
    await submit.click();
    await page.getByRole("heading", { level: 1, name: "Users & Groups" }).waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
  });

  it("shows the account, region, admin and a sign-out button in the header", async () => {
    const header = page.getByRole("banner");
    expect(await header.innerText()).toContain("Seatdesk");
    expect(await header.innerText()).toContain("Northwind Labs");
    expect(await header.innerText()).toContain(server!.credentials.email);
    expect(await header.innerText()).toContain("Owner");
    const region = page.getByRole("combobox", { name: "Region" });
    await expect.poll(() => region.inputValue(), patiently).toBe("us-east-1");
    // Until the regions arrive, the select holds the page's region alone (its id): wait for the list itself.
    await expect.poll(() => region.locator("option").allTextContents(), patiently).toEqual(["US East (N. Virginia) · us-east-1", "Europe (Frankfurt) · eu-central-1"]);
    expect(await header.getByRole("button", { name: "Sign out" }).isEnabled()).toBe(true);
    const nav = page.getByRole("navigation", { name: "Console" });
    expect(await nav.getByRole("link", { name: "Users & Groups" }).getAttribute("aria-current")).toBe("page");
  });

  it("lists the seeded users on the Users tab, 100 at a time, with only the rows in view in the page", async () => {
    const tab = page.getByRole("tab", { name: "Users" });
    expect(await tab.getAttribute("aria-selected")).toBe("true");
    // The total of the whole list (a count of its own), beside how many rows are loaded so far.
    await expect.poll(() => page.locator(".loaded-count").innerText(), patiently).toBe("Showing 100 of 240 users");
    const rendered = (await shownRows()).length;
    // Virtualized: the rows in view and a few around them, not all 100 loaded.
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);

    // A sortable header's text is its label, then its arrow and the sort it offers (for screen readers).
    const headers = (await usersTable().getByRole("columnheader").allInnerTexts()).map((h) => h.split("\n")[0]!.trim());
    expect(headers.slice(2)).toEqual(["Tier", "Status", "Scheduled change", "Credits this month", "Last active", "Forecast", "Actions"]);
    expect(headers[1]).toMatch(/^Name/);
    expect(await usersTable().getByRole("columnheader", { name: /Name/ }).getAttribute("aria-sort")).toBe("ascending");
    expect(await usersTable().getByRole("checkbox", { name: "Select all loaded users" }).count()).toBe(1);

    const rows = await shownRows();
    for (const row of rows) {
      expect(statusLabels).toContain(row.status);
      expect(row.email).toMatch(/@northwind\.example$/);
      expect(row.name).not.toBe("");
    }
    // The demo's statuses: most have one, and an Active person has a last-active time in UTC.
    const active = rows.find((r) => r.status === "Active");
    expect(active, "an Active user in view").toBeDefined();
    expect(active!.text).toMatch(/[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} UTC/);
    expect(rows.some((r) => r.status === "Not subscribed")).toBe(true);
    expect(["Pro", "Pro+", "Power"]).toContain(active!.tier.split("\n")[0]);

    expect(await page.getByRole("button", { name: "Subscribe", exact: true }).isDisabled()).toBe(true);
    await shot("users-tab.png");
  });

  it("searches by last name on the server and shows only matching people", async () => {
    const first = (await shownRows())[0]!;
    const lastName = first.name.split(" ").slice(1).join(" ");
    expect(lastName).not.toBe("");
    const search = page.getByRole("searchbox", { name: "Search users" });
    await search.fill(lastName);

    const needle = lastName.toLowerCase();
    await expect
      .poll(async () => {
        const rows = await shownRows();
        return rows.length > 0 && rows.every((r) => r.text.toLowerCase().includes(needle));
      }, patiently)
      .toBe(true);
    const found = await shownRows();
    expect(found.length).toBeLessThan(50);
    expect(found.map((r) => r.email)).toContain(first.email);
    // The total is the search's: every match is loaded, and it says exactly how many.
    await expect.poll(() => page.locator(".total-count").innerText(), patiently).toBe(`${found.length} ${found.length === 1 ? "user" : "users"}`);
    expect(await page.locator(".shown-count").count()).toBe(0);

    await search.fill("no-such-person-xyz");
    await usersTable().getByText("No users match “no-such-person-xyz”.").waitFor();
    expect(await usersTable().getByRole("rowheader").count()).toBe(0);
    await expect.poll(() => page.locator(".total-count").innerText(), patiently).toBe("0 users");

    await search.fill("");
    await expect.poll(() => page.locator(".loaded-count").innerText(), patiently).toBe("Showing 100 of 240 users");
    await expect.poll(async () => (await shownRows())[0]?.email, patiently).toBe(first.email);
  });

  it("scrolling loads the next pages as it goes, keeps the page light, and sorts Z to A", async () => {
    const first = (await shownRows())[0]!;
    const scroller = page.locator(".table-scroll");
    await expect
      .poll(async () => {
        await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        // Everything loaded: no "Showing N of" left, just the total.
        return page.locator(".loaded-count").innerText();
      }, patiently)
      .toBe("240 users");
    const atEnd = await shownRows();
    expect(atEnd.length).toBeLessThan(60);
    expect(atEnd.map((r) => r.email)).not.toContain(first.email);
    expect(atEnd.at(-1)!.name.localeCompare(first.name)).toBeGreaterThan(0);

    await usersTable().getByRole("button", { name: /^Name/ }).click();
    await expect.poll(async () => usersTable().getByRole("columnheader", { name: /Name/ }).getAttribute("aria-sort"), patiently).toBe("descending");
    await expect.poll(async () => (await shownRows())[0]?.name.localeCompare(first.name) ?? 0, patiently).toBeGreaterThan(0);
    await usersTable().getByRole("button", { name: /^Name/ }).click();
    await expect.poll(async () => (await shownRows())[0]?.email, patiently).toBe(first.email);
  });

  it("subscribes a person who is not subscribed to Pro+, who then shows as Pending", async () => {
    const target = (await shownRows()).find((r) => r.status === "Not subscribed" && !r.inactive);
    expect(target, "a user who is not subscribed on page 1").toBeDefined();
    const row = usersTable().getByRole("row").filter({ hasText: target!.email });
    const subscribeButton = page.getByRole("button", { name: "Subscribe", exact: true });

    await row.getByRole("checkbox", { name: `Select ${target!.name}` }).check();
    expect(await subscribeButton.isEnabled()).toBe(true);
    expect(await page.getByText("1 user selected").isVisible()).toBe(true);

    // Keyboard: Escape closes the dialog and keeps the selection.
    await subscribeButton.click();
    const dialog = page.getByRole("dialog", { name: "Subscribe users" });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await subscribeButton.isEnabled()).toBe(true);

    await subscribeButton.click();
    await dialog.waitFor();
    const radios = dialog.getByRole("radio");
    expect(await radios.count()).toBe(3);
    expect(await dialog.getByRole("radio", { name: /^Pro \$20\/mo/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole("radio", { name: /^Power \$200\/mo/ }).count()).toBe(1);
    const proPlus = dialog.getByRole("radio", { name: /^Pro\+ \$40\/mo/ });
    await proPlus.check();
    expect(await proPlus.isChecked()).toBe(true);
    // The server's preview: a new subscription is Pending, nothing this month, Pro+'s $40.00 a month once they use the tool.
    await expect.poll(async () => dialog.innerText(), patiently).toContain("This month: $0.00 (estimate) · From next month: $40.00 a month for 1 person");
    const text = await dialog.innerText();
    expect(text).toContain("1 user will be subscribed to Pro+. They appear as Pending and are not charged until they first use the tool.");
    expect(text).toContain(`${target!.name}: subscribed to Pro+, Pending: nothing until they first use the tool, then $40.00 a month`);
    expect(text).toContain("1 new, Pending");
    await shot("subscribe-dialog.png");

    // Hold the request so the dialog's progress state can be seen, then let it through.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/trpc\/subscriptions\.subscribe/, async (route) => {
      await held;
      await route.continue();
    });
    await dialog.getByRole("button", { name: "Subscribe", exact: true }).click();
    const busy = dialog.getByRole("button", { name: "Subscribing…" });
    await busy.waitFor();
    expect(await busy.isDisabled()).toBe(true);
    expect(await dialog.getByRole("button", { name: "Cancel" }).isDisabled()).toBe(true);
    release();

    await dialog.waitFor({ state: "hidden" });
    await page.unroute(/\/trpc\/subscriptions\.subscribe/);
    const status = page.getByRole("status").filter({ hasText: "Subscribed" });
    await status.waitFor();
    expect(await status.innerText()).toContain("Subscribed 1 user to Pro+.");

    await expect
      .poll(async () => {
        const after = (await shownRows()).find((r) => r.email === target!.email);
        return after && { tier: after.tier, status: after.status };
      }, patiently)
      .toEqual({ tier: "Pro+", status: "Pending" });
    expect(await row.getByRole("checkbox").isChecked()).toBe(false);
    expect(await subscribeButton.isDisabled()).toBe(true);
    await shot("after-subscribe.png");
  });

  it("says so when the chosen region has no profile, and switches back", async () => {
    await page.getByRole("combobox", { name: "Region" }).selectOption("eu-central-1");
    const notice = page.getByText("No profile in this region.");
    await notice.waitFor();
    expect(await page.getByRole("main").innerText()).toContain("You have profiles in: us-east-1");
    expect(new URL(page.url()).searchParams.get("region")).toBe("eu-central-1");
    expect(await page.getByRole("table", { name: "Users" }).count()).toBe(0);
    await shot("no-profile.png");

    await page.getByRole("button", { name: "Switch to us-east-1" }).click();
    await expect.poll(async () => (await shownRows()).length, patiently).toBeGreaterThan(5);
    expect(new URL(page.url()).searchParams.get("region")).toBe("us-east-1");
    expect(await page.getByRole("combobox", { name: "Region" }).inputValue()).toBe("us-east-1");
  });

  it("signs out, and the session is gone after a reload", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in to the console" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Sign in to the console" }).waitFor();
    expect(await page.getByRole("table").count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
