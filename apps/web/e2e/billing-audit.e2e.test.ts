import { readFileSync } from "node:fs";
import Papa from "papaparse";
import type { Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * Billing and Audit log in a real browser against the real server and its seeded demo. The steps share
 * one signed-in page, in order: usage with overage against a budget, the running estimate and its CSV,
 * the month close (the clock moved through the API), the invoice and its CSV, then the audit entries
 * the close wrote, filtered and downloaded.
 */

let ui: Console;
let page: Page;

const billHeader = [
  "User",
  "E-mail",
  "User ID",
  "Tier",
  "Subscription fee (USD)",
  "Prorated days",
  "Days in month",
  "Allowance (credits)",
  "Included credits",
  "Overage credits",
  "Unbilled credits",
  "Overage fee (USD)",
  "Total (USD)",
];
const auditHeader = ["Time (UTC)", "Who", "Actor type", "Actor ID", "Action", "Target type", "Target ID", "Target name", "Profile ID", "Before", "After"];

/** What the estimate showed, for the invoice to be compared with after the close. */
let estimate: { period: string; lineCount: number; feesCents: number; overageCents: number; totalCents: number };
let overageUser: { email: string; name: string };
let profileId: string;

/** "$4,560.00" → 456000; the console shows money in dollars with cents. */
function cents(text: string): number {
  const m = /^\$([0-9,]+)\.([0-9]{2})$/.exec(text.trim());
  if (!m) throw new Error(`not an amount: ${JSON.stringify(text)}`);
  return Number(m[1]!.replaceAll(",", "")) * 100 + Number(m[2]);
}

/** "456.00" (a CSV amount, two decimals, no grouping) → 45600. */
function hundredths(text: string): number {
  const m = /^([0-9]+)\.([0-9]{2})$/.exec(text);
  if (!m) throw new Error(`not a two-decimal number: ${JSON.stringify(text)}`);
  return Number(m[1]) * 100 + Number(m[2]);
}

async function trpcQuery<T>(path: string, input: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await page.request.get(`/trpc/${path}${query}`);
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
  return body.result.data;
}

/** A mutation as a script would send it: JSON, with the page's session cookie and the console's Origin. */
async function trpcMutate<T>(path: string, input: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await page.request.post(`/trpc/${path}`, {
    data: input,
    headers: { "content-type": "application/json", Origin: ui.server.url, ...headers },
  });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body)}`);
  return body.result.data;
}

/** Clicks a download button and parses the file it saves: the header row and the data rows. */
async function downloadCsv(button: ReturnType<Page["getByRole"]>): Promise<{ download: Download; header: string[]; rows: string[][]; text: string }> {
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  const path = await download.path();
  const raw = readFileSync(path, "utf8");
  expect(raw.startsWith("\uFEFF"), "a byte order mark for spreadsheets").toBe(true);
  const text = raw.slice(1);
  expect(text.includes("\r\n"), "RFC 4180 line ends").toBe(true);
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  const [header, ...rows] = parsed.data;
  return { download, header: header ?? [], rows, text };
}

/** The figures of a totals list (a <dl>), by term. */
async function totals(label: string): Promise<Record<string, string>> {
  const list = page.getByRole("main").locator(`dl[aria-label="${label}"]`);
  await list.locator("dd .skeleton").first().waitFor({ state: "detached" });
  const pairs = await list.locator(".bill-total").evaluateAll((items) =>
    items.map((item) => [item.querySelector("dt")?.firstChild?.textContent?.trim() ?? "", (item.querySelector("dd") as HTMLElement).innerText.trim()]),
  );
  return Object.fromEntries(pairs);
}

/** The rows of a bill's lines table on screen: e-mail and the Total column. */
async function shownLines(caption: string): Promise<{ email: string; total: number }[]> {
  const table = page.getByRole("table", { name: caption });
  await page.locator('table.bill-table[aria-busy="false"]').waitFor();
  const rows = await table.locator("tbody tr").evaluateAll((trs) =>
    trs.filter((tr) => tr.querySelector(".email")).map((tr) => [(tr.querySelector(".email") as HTMLElement).innerText.trim(), (tr.lastElementChild as HTMLElement).innerText.trim()]),
  );
  return rows.map(([email, total]) => ({ email: email!, total: cents(total!) }));
}

/** Walks every page of a lines table with Next, from the first: all lines as shown. */
async function allShownLines(caption: string, pager: string): Promise<{ email: string; total: number }[]> {
  const nav = page.getByRole("navigation", { name: pager });
  const all: { email: string; total: number }[] = [];
  for (let n = 1; ; n++) {
    await nav.getByText(new RegExp(`^Lines ${(n - 1) * 25 + 1}–`)).waitFor();
    all.push(...(await shownLines(caption)));
    const next = nav.getByRole("button", { name: "Next ›" });
    if (await next.isDisabled()) break;
    await next.click();
  }
  return all;
}

beforeAll(async () => {
  ui = await openConsole();
  page = ui.page;
});

afterAll(async () => {
  await ui?.close();
});

describe("Billing and audit log", () => {
  it("signs in, and records usage past one user's allowance with overages on and a budget", async () => {
    await ui.signIn();
    const { profile } = await trpcQuery<{ profile: { id: string } }>("profiles.byRegion", { region: "us-east-1" });
    profileId = profile.id;
    await trpcMutate("settings.update", { profileId, overagesEnabled: true, budgetCents: 50_000 });
    const { key } = await trpcMutate<{ key: string }>("keys.create", { profileId, name: "billing e2e" });
    const list = await trpcQuery<{ rows: { userId: string; email: string; displayName: string; status: string | null; tier: string | null }[] }>("subscriptions.list", { profileId });
    const active = list.rows.filter((r) => r.status === "active" && r.tier === "pro");
    expect(active.length, "Active Pro users on the first page").toBeGreaterThan(1);
    const [heavy, light] = active as [(typeof active)[number], (typeof active)[number]];
    overageUser = { email: heavy.email, name: heavy.displayName };
    const { now } = await trpcQuery<{ now: string }>("clock.get", undefined);
    const bearer = { Authorization: `Bearer ${key}` };
    // Pro includes 1,000 credits: 1,250.50 leaves 250.50 as overage, $10.02 at $0.04 a credit.
    await trpcMutate("usage.record", { userId: heavy.userId, credits: 1250.5, client: "ide", occurredAt: now, idempotencyKey: "e2e-heavy" }, bearer);
    await trpcMutate("usage.record", { userId: light.userId, credits: 12.25, client: "cli", occurredAt: now, idempotencyKey: "e2e-light" }, bearer);
    // A name a spreadsheet would run as a formula: the CSV must show it as text.
    const formula = await trpcMutate<{ id: string }>("directory.createUser", { displayName: "=1+2 Formula Test", email: "formula.test@northwind.example" });
    await trpcMutate("subscriptions.subscribe", { profileId, userIds: [formula.id], tier: "pro" });
    await trpcMutate("usage.record", { userId: formula.id, credits: 1, client: "cli", occurredAt: now, idempotencyKey: "e2e-formula" }, bearer);
  });

  it("opens Billing from the navigation and shows this month's estimate: totals, budget, lines", async () => {
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Billing" }).click();
    await page.getByRole("heading", { level: 1, name: "Billing" }).waitFor();
    const heading = page.getByRole("heading", { level: 2, name: /^This month: [A-Z][a-z]+ \d{4}$/ });
    await heading.waitFor();
    const period = (await heading.innerText()).replace("This month: ", "");
    const panel = page.locator("section.panel").filter({ has: heading });
    expect(await panel.innerText()).toMatch(/Running estimate as of [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} UTC/);

    const figures = await totals("Estimated totals");
    expect(Object.keys(figures)).toEqual(["Subscription fees", "Overage", "Estimated total", "Users billed"]);
    const feesCents = cents(figures["Subscription fees"]!);
    const overageCents = cents(figures["Overage"]!);
    const totalCents = cents(figures["Estimated total"]!);
    const lineCount = Number(figures["Users billed"]!.replaceAll(",", ""));
    expect(overageCents).toBe(1002);
    expect(totalCents).toBe(feesCents + overageCents);
    expect(lineCount).toBeGreaterThan(50);
    estimate = { period, lineCount, feesCents, overageCents, totalCents };

    // The budget: $10.02 of $500.00, as a meter with its value in words.
    const meter = page.getByRole("meter", { name: "Overage budget used" });
    expect(await meter.getAttribute("aria-valuetext")).toBe("$10.02 of $500.00 used (2%)");
    expect(await panel.innerText()).toContain("$489.98 left this month.");

    // Every line, page by page: as many as the count, each once, adding up to the total.
    const lines = await allShownLines("Estimate lines", "Pages of estimate lines");
    expect(lines.length).toBe(lineCount);
    expect(new Set(lines.map((l) => l.email)).size).toBe(lineCount);
    expect(lines.reduce((s, l) => s + l.total, 0)).toBe(totalCents);
    const footer = await page.getByRole("table", { name: "Estimate lines" }).locator("tfoot").innerText();
    expect(footer).toContain(`All ${lineCount} lines`);
    expect(footer).toContain(figures["Estimated total"]!);
    const previous = page.getByRole("navigation", { name: "Pages of estimate lines" }).getByRole("button", { name: "‹ Previous" });
    while (await previous.isEnabled()) await previous.click();
    await page.getByText(/^Lines 1–25 of /).waitFor();
  });

  it("downloads the estimate as CSV: a header and every line, dollars and credits with two decimals", async () => {
    const { download, header, rows } = await downloadCsv(page.getByRole("button", { name: "Download CSV of this month's estimate" }));
    expect(download.suggestedFilename()).toMatch(/^seatdesk-estimate-us-east-1-\d{4}-\d{2}\.csv$/);
    expect(header).toEqual(billHeader);
    expect(rows.length).toBe(estimate.lineCount);
    const col = (name: string) => billHeader.indexOf(name);
    for (const row of rows) {
      expect(row.length).toBe(billHeader.length);
      for (const name of ["Subscription fee (USD)", "Overage fee (USD)", "Total (USD)", "Allowance (credits)", "Included credits", "Overage credits", "Unbilled credits"]) {
        expect(row[col(name)]).toMatch(/^\d+\.\d{2}$/);
      }
      expect(hundredths(row[col("Total (USD)")]!)).toBe(hundredths(row[col("Subscription fee (USD)")]!) + hundredths(row[col("Overage fee (USD)")]!));
    }
    const sum = (name: string) => rows.reduce((s, r) => s + hundredths(r[col(name)]!), 0);
    expect(sum("Subscription fee (USD)")).toBe(estimate.feesCents);
    expect(sum("Overage fee (USD)")).toBe(estimate.overageCents);
    expect(sum("Total (USD)")).toBe(estimate.totalCents);
    const heavy = rows.find((r) => r[col("E-mail")] === overageUser.email);
    expect(heavy, "the user with overage has a line").toBeDefined();
    expect([heavy![col("Tier")], heavy![col("Included credits")], heavy![col("Overage credits")], heavy![col("Overage fee (USD)")], heavy![col("Total (USD)")]]).toEqual([
      "Pro",
      "1000.00",
      "250.50",
      "10.02",
      "30.02",
    ]);
    const formula = rows.find((r) => r[col("E-mail")] === "formula.test@northwind.example");
    expect(formula?.[col("User")]).toBe("'=1+2 Formula Test");
    await page.getByRole("status").filter({ hasText: `Downloaded ${estimate.lineCount} lines` }).waitFor();

    await ui.shot("billing-1280.png");
    await page.setViewportSize({ width: 768, height: 1024 });
    await ui.shot("billing-768.png");
    // At 768 px the totals sit two by two and the lines table still fits without losing a column.
    const overflow = await page.locator("table.bill-table").evaluate((t) => t.scrollWidth - (t.parentElement as HTMLElement).clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("shows the server's message for an invoice that does not exist", async () => {
    await page.goto("/?region=us-east-1&page=billing&invoice=2001-01");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toContain("period: no invoice for 2001-01 in this profile");
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Invoice for January 2001");
    await page.getByRole("link", { name: "‹ Billing" }).click();
    await page.getByRole("heading", { level: 2, name: /^This month:/ }).waitFor();
  });

  it("after the clock moves to next month, lists the closed month's invoice and opens it with its lines", async () => {
    const invoicesTable = page.getByRole("table", { name: "Past invoices" });
    await invoicesTable.getByText("No invoices yet.").waitFor();

    const moved = await trpcMutate<{ closed: number; failed: number }>("clock.advance", { nextMonth: true });
    expect(moved.failed).toBe(0);
    expect(moved.closed).toBeGreaterThan(0);

    // Sessions age in real time, not on the test clock: a month later the admin is still signed in.
    await page.reload();
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Billing" }).click();
    const link = invoicesTable.getByRole("link", { name: estimate.period });
    await link.waitFor();
    const row = invoicesTable.getByRole("row").filter({ has: page.getByRole("link", { name: estimate.period }) });
    const cells = await row.locator("td").allInnerTexts();
    expect(cells.slice(0, 4).map((c) => c.trim())).toEqual([
      String(estimate.lineCount),
      `$${(estimate.feesCents / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`,
      "$10.02",
      `$${(estimate.totalCents / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`,
    ]);
    // The new month's estimate starts again: the usage was last month's.
    expect(cents((await totals("Estimated totals"))["Overage"]!)).toBe(0);

    await link.click();
    await page.getByRole("heading", { level: 1, name: `Invoice for ${estimate.period}` }).waitFor();
    expect(new URL(page.url()).searchParams.get("invoice")).toMatch(/^\d{4}-\d{2}$/);
    const figures = await totals("Invoice totals");
    // The invoice is the estimate at the close (DESIGN.md §2): nothing changed in between.
    expect({ fees: cents(figures["Subscription fees"]!), overage: cents(figures["Overage"]!), total: cents(figures["Total"]!), lines: Number(figures["Users billed"]!.replaceAll(",", "")) }).toEqual({
      fees: estimate.feesCents,
      overage: estimate.overageCents,
      total: estimate.totalCents,
      lines: estimate.lineCount,
    });
    const first = await shownLines(`Invoice lines for ${estimate.period}`);
    expect(first.length).toBe(Math.min(25, estimate.lineCount));
    // The clock's move closes each month at its own closing time (00:15 on the 1st), not at the instant moved to.
    expect(await page.getByRole("main").innerText()).toMatch(/Finalized [A-Z][a-z]{2} \d{1,2}, \d{4}, 00:15 UTC/);
    await ui.shot("invoice.png");

    const { download, header, rows } = await downloadCsv(page.getByRole("button", { name: `Download CSV of the ${estimate.period} invoice` }));
    expect(download.suggestedFilename()).toMatch(/^seatdesk-invoice-us-east-1-\d{4}-\d{2}\.csv$/);
    expect(header).toEqual(billHeader);
    expect(rows.length).toBe(estimate.lineCount);
    expect(rows.reduce((s, r) => s + hundredths(r[billHeader.indexOf("Total (USD)")]!), 0)).toBe(estimate.totalCents);

    // Back returns to the list.
    await page.goBack();
    await page.getByRole("heading", { level: 2, name: "Past invoices" }).waitFor();
  });

  it("opens the Audit log, filters by an action, shows only those entries, and downloads them", async () => {
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
    const table = page.getByRole("table", { name: "Audit log entries" });
    const settled = page.locator('table.audit-table[aria-busy="false"]');
    const actions = async () => {
      await settled.waitFor();
      return table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.querySelector(".audit-code")?.textContent ?? tr.querySelector(".audit-action")?.textContent ?? ""));
    };
    await expect.poll(async () => (await actions()).length, patiently).toBeGreaterThan(3);
    const all = await actions();
    expect(all).toContain("period.close");
    expect(all).toContain("clock.advance");
    expect(all).toContain("settings.update");
    expect(new Set(all).size).toBeGreaterThan(2);

    // "When" is local time with UTC in the title; "Who" is the admin.
    const clockRow = table.getByRole("row").filter({ hasText: "clock.advance" }).first();
    const when = clockRow.locator("time");
    expect(await when.innerText()).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2}:\d{2} (PST|PDT)$/);
    expect(await when.getAttribute("title")).toMatch(/ UTC$/);
    expect(await clockRow.innerText()).toContain(ui.server.credentials.email);
    expect(await clockRow.innerText()).toContain("→");
    // A target shows by its name, with its id below and in the title: a settings change names its profile.
    const { profile } = await trpcQuery<{ profile: { id: string; name: string } }>("profiles.byRegion", { region: "us-east-1" });
    const settingsRow = table.getByRole("row").filter({ hasText: "settings.update" }).first();
    const target = settingsRow.locator(".audit-target");
    expect(await target.innerText()).toBe(profile.name);
    expect(await target.getAttribute("title")).toContain(profile.id);
    expect(await settingsRow.locator(".audit-target-id").innerText()).toBe(`${profile.id.slice(0, 8)}…`);
    await ui.shot("audit-1280.png");
    await page.setViewportSize({ width: 768, height: 1024 });
    await ui.shot("audit-768.png");
    await page.setViewportSize({ width: 1280, height: 800 });

    const action = page.getByRole("combobox", { name: "Action" });
    await action.fill("no.such.action");
    await table.getByText("No entries match these filters.").waitFor();

    await action.fill("period.close");
    await expect.poll(async () => [...new Set(await actions())], patiently).toEqual(["period.close"]);
    const closeRows = await actions();
    const closeRow = table.getByRole("row").filter({ hasText: "Month closed" }).first();
    expect(await closeRow.innerText()).toContain("month close");
    // The rest of the change and the full before and after are one click away.
    await closeRow.getByText(/more change|Before and after/).click();
    expect(await closeRow.innerText()).toContain(`totalCents: $${(estimate.totalCents / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`);
    expect(await closeRow.locator("pre").last().innerText()).toContain('"period"');

    const { header, rows, download } = await downloadCsv(page.getByRole("button", { name: "Download CSV of the entries these filters select" }));
    expect(download.suggestedFilename()).toMatch(/^seatdesk-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(header).toEqual(auditHeader);
    expect(rows.length).toBe(closeRows.length);
    expect(rows.every((r) => r[auditHeader.indexOf("Action")] === "period.close")).toBe(true);
    expect(rows.every((r) => r[auditHeader.indexOf("Time (UTC)")]!.endsWith("Z"))).toBe(true);
    // A month close's target is the period it closed, named as itself.
    expect(rows.every((r) => /^\d{4}-\d{2}$/.test(r[auditHeader.indexOf("Target name")]!) && r[auditHeader.indexOf("Target name")] === r[auditHeader.indexOf("Target ID")])).toBe(true);

    // Another action, and a date range that ends before today: nothing.
    await action.fill("clock.advance");
    await expect.poll(async () => [...new Set(await actions())], patiently).toEqual(["clock.advance"]);
    await page.getByLabel("To", { exact: true }).fill("2001-01-31");
    await table.getByText("No entries match these filters.").waitFor();
    await page.getByLabel("From", { exact: true }).fill("2001-02-01");
    expect(await page.getByRole("alert").innerText()).toContain("“To” must be on or after “From”.");
    await page.getByRole("button", { name: "Clear filters" }).first().click();
    await expect.poll(async () => (await actions()).length, patiently).toBe(all.length);
    expect(ui.pageErrors).toEqual([]);
  });
});
