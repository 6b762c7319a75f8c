import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { openConsole, patiently, shotsDir, type Console } from "./browser";

/**
 * The Settings page in a real browser against the real server and its seeded demo: overages, limits,
 * overrides, cancellations and the first month, API keys; then the same page for a viewer. The steps
 * run in order on one signed-in page, as a person would work through it.
 */

let c: Console;
let page: Page;
/** The key created in Settings, as the dialog showed it once. */
let createdKey = "";
const keyName = "CI backend";

const region = (name: string) => page.getByRole("region", { name, exact: true });
const overagesSwitch = () => page.getByRole("switch", { name: "Overages" });

async function openSettings() {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
  await overagesSwitch().waitFor();
}

async function reloadSettings() {
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
  await overagesSwitch().waitFor();
}

/** A usage call with a profile API key, as the tool's backends make it; answers the HTTP status. */
async function usageCheckStatus(key: string): Promise<number> {
  const input = encodeURIComponent(JSON.stringify({ userName: "nobody-in-particular@northwind.example" }));
  const response = await fetch(`${c.server.url}/trpc/usage.check?input=${input}`, { headers: { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  c = await openConsole();
  page = c.page;
  await c.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: c.server.url });
  await c.signIn();
});

afterAll(async () => {
  await c?.close();
});

describe("Settings", () => {
  it("opens from the Console navigation, with every control named in the accessibility tree", async () => {
    await openSettings();
    const nav = page.getByRole("navigation", { name: "Console" });
    expect(await nav.getByRole("link", { name: "Settings" }).getAttribute("aria-current")).toBe("page");
    expect(new URL(page.url()).searchParams.get("page")).toBe("settings");

    for (const name of ["Overages", "Overage limits", "Group overrides", "User overrides", "Cancellations and first month", "API keys"]) {
      expect(await region(name).count(), name).toBe(1);
    }
    // Overages are off by default (DESIGN.md §2), and the page says what both settings do, with the price.
    const toggle = overagesSwitch();
    expect(await toggle.isChecked()).toBe(false);
    expect(await toggle.isEnabled()).toBe(true);
    const overages = await region("Overages").innerText();
    expect(overages).toContain("$0.04 per credit");
    expect(overages).toMatch(/blocked from paid features until the 1st of next month/);
    expect(overages).toMatch(/keeps working/);
    expect(overages).toContain("takes effect at once for every user");

    const limits = region("Overage limits");
    expect(await limits.getByRole("radio", { name: /^No cap/ }).isChecked()).toBe(true);
    expect(await limits.getByRole("radio", { name: "Cap at a number of credits" }).count()).toBe(1);
    expect(await limits.getByRole("textbox", { name: "Default cap in credits" }).count()).toBe(1);
    expect(await limits.getByRole("radio", { name: /^No budget/ }).isChecked()).toBe(true);
    expect(await limits.getByRole("textbox", { name: "Monthly budget in US dollars" }).count()).toBe(1);
    expect(await limits.getByRole("button", { name: "Save cap" }).isDisabled()).toBe(true);

    const rules = region("Cancellations and first month");
    expect(await rules.getByRole("group", { name: "When a plan is deactivated, access ends" }).count()).toBe(1);
    expect(await rules.getByRole("radio", { name: /^At the end of the month \(default\)/ }).isChecked()).toBe(true);
    expect(await rules.getByRole("radio", { name: /^Immediately/ }).isChecked()).toBe(false);
    expect(await rules.getByRole("radio", { name: /^Full month \(default\)/ }).isChecked()).toBe(true);
    expect(await rules.getByRole("radio", { name: /^Prorated/ }).count()).toBe(1);
    expect(await rules.innerText()).toContain("costs $10.00");

    expect(await page.getByRole("button", { name: "Create key" }).isEnabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Add group override" }).isEnabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Add user override" }).isEnabled()).toBe(true);
    expect(await page.getByRole("table", { name: "API keys" }).count()).toBe(1);
    expect(await page.getByRole("table", { name: "API keys" }).innerText()).toContain("No API keys");
  });

  it("turns overages on at once, and they are still on after a reload", async () => {
    await overagesSwitch().click();
    const saved = region("Overages").getByRole("status").filter({ hasText: "Saved: overages are on." });
    await saved.waitFor();
    expect(await overagesSwitch().isChecked()).toBe(true);
    expect(await page.getByRole("dialog").count()).toBe(0);

    await reloadSettings();
    await expect.poll(() => overagesSwitch().isChecked(), patiently).toBe(true);
    expect(await region("Overages").innerText()).toMatch(/On\s*current/i);
  });

  it("asks before turning overages off, and Cancel keeps them on", async () => {
    await overagesSwitch().click();
    const dialog = page.getByRole("dialog", { name: "Turn overages off?" });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain("Immediately, for every user in this profile");
    expect(await dialog.getByRole("button", { name: "Turn overages off" }).isEnabled()).toBe(true);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await overagesSwitch().isChecked()).toBe(true);
  });

  it("sets a monthly budget, which persists", async () => {
    const limits = region("Overage limits");
    const budget = limits.getByRole("textbox", { name: "Monthly budget in US dollars" });
    await budget.fill("500");
    // Typing in the box chooses "budget" over "no budget".
    expect(await limits.getByRole("radio", { name: "Set a monthly budget" }).isChecked()).toBe(true);
    expect(await limits.innerText()).toContain("$500.00 pays for 12,500 credits of overage.");
    await limits.getByRole("button", { name: "Save budget" }).click();
    await limits.getByRole("status").filter({ hasText: "Saved." }).first().waitFor();
    expect(await limits.innerText()).toContain("$500.00 a month");

    await reloadSettings();
    const after = region("Overage limits");
    expect(await after.getByRole("textbox", { name: "Monthly budget in US dollars" }).inputValue()).toBe("500");
    expect(await after.getByRole("radio", { name: "Set a monthly budget" }).isChecked()).toBe(true);
    expect(await after.innerText()).toContain("In force: $500.00 a month");
  });

  it("shows the server's message next to the default cap, then saves a valid one", async () => {
    const limits = region("Overage limits");
    const cap = limits.getByRole("textbox", { name: "Default cap in credits" });
    await cap.fill("2000000");
    await limits.getByRole("button", { name: "Save cap" }).click();
    const error = limits.getByRole("alert");
    await error.waitFor();
    // The server's own words (its range check), without the API's field name.
    expect(await error.innerText()).toContain("At most 1,000,000 credits");
    expect(await cap.getAttribute("aria-invalid")).toBe("true");

    await cap.fill("250");
    expect(await limits.getByRole("alert").count()).toBe(0);
    expect(await limits.innerText()).toContain("At most $10.00 of overage per person a month");
    await limits.getByRole("button", { name: "Save cap" }).click();
    await expect.poll(async () => limits.innerText(), patiently).toContain("250 credits a month per person");
    expect(await limits.getByRole("button", { name: "Save cap" }).isDisabled()).toBe(true);
  });

  it("changes cancelAccess with its own Save, and it persists", async () => {
    const rules = region("Cancellations and first month");
    await rules.getByRole("radio", { name: /^Immediately/ }).check();
    await rules.getByRole("button", { name: "Save access setting" }).click();
    await rules.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await reloadSettings();
    expect(await region("Cancellations and first month").getByRole("radio", { name: /^Immediately/ }).isChecked()).toBe(true);
    expect(await region("Cancellations and first month").getByRole("radio", { name: /^Full month/ }).isChecked()).toBe(true);
  });

  it("adds, changes and removes a group override", async () => {
    const groups = region("Group overrides");
    await groups.getByRole("button", { name: "Add group override" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a group override" });
    await dialog.waitFor();
    const first = dialog.getByRole("group", { name: "Group", exact: true }).getByRole("radio").first();
    await first.waitFor();
    const groupName = (await dialog.locator(".picker-option .picker-name").first().innerText()).trim();
    await first.check();
    await dialog.getByRole("textbox", { name: "Cap in credits" }).fill("100");
    await dialog.getByRole("button", { name: "Save override" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("status").filter({ hasText: `Saved the override for ${groupName}` }).waitFor();
    const table = page.getByRole("table", { name: "Group overrides" });
    const row = table.getByRole("row").filter({ hasText: groupName });
    await expect.poll(() => row.innerText(), patiently).toContain("100 credits");

    await table.getByRole("button", { name: `Change the override for ${groupName}` }).click();
    const change = page.getByRole("dialog", { name: `Change the override for ${groupName}` });
    await change.waitFor();
    expect(await change.getByRole("textbox", { name: "Cap in credits" }).inputValue()).toBe("100");
    await change.getByRole("radio", { name: /^Unlimited/ }).check();
    await change.getByRole("button", { name: "Save override" }).click();
    await change.waitFor({ state: "hidden" });
    await expect.poll(() => row.innerText(), patiently).toContain("Unlimited");

    await table.getByRole("button", { name: `Remove the override for ${groupName}` }).click();
    const confirm = page.getByRole("dialog", { name: `Remove the override for ${groupName}?` });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain("the default cap of 250 credits");
    await confirm.getByRole("button", { name: "Remove override" }).click();
    await confirm.waitFor({ state: "hidden" });
    await expect.poll(() => table.innerText(), patiently).toContain("No group overrides");
  });

  it("adds a user override with the per-user overage switch", async () => {
    await region("User overrides").getByRole("button", { name: "Add user override" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a user override" });
    await dialog.waitFor();
    // Saving with nothing chosen is refused before it reaches the server.
    await dialog.getByRole("button", { name: "Save override" }).click();
    expect(await dialog.getByRole("alert").innerText()).toBe("Choose a user.");
    const first = dialog.getByRole("group", { name: "User", exact: true }).getByRole("radio").first();
    await first.waitFor();
    const userName = (await dialog.locator(".picker-option .picker-name").first().innerText()).trim();
    await first.check();
    const overage = dialog.getByRole("combobox", { name: "Overage for this person" });
    expect(await overage.inputValue()).toBe("inherit");
    await overage.selectOption("off");
    await page.screenshot({ path: join(shotsDir, "settings-user-override.png") });
    await dialog.getByRole("button", { name: "Save override" }).click();
    await dialog.waitFor({ state: "hidden" });
    const row = page.getByRole("table", { name: "User overrides" }).getByRole("row").filter({ hasText: userName });
    await expect.poll(() => row.innerText(), patiently).toContain("Never allowed");
    expect(await row.innerText()).toContain("From groups or default");
    expect(await region("Overages").innerText()).toContain("1 user with their own overage setting");
  });

  it("shows the page at 1280 px", async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await c.shot("settings-1280.png");
  });

  it("creates an API key, shows it once with a copy button, and never again", async () => {
    await page.getByRole("button", { name: "Create key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create an API key" });
    await dialog.waitFor();
    // The server's message for an empty name, next to the field.
    await dialog.getByRole("button", { name: "Create key" }).click();
    await dialog.getByRole("alert").waitFor();
    expect(await dialog.getByRole("alert").innerText()).toContain("Give the key a name");

    await dialog.getByRole("textbox", { name: "Key name" }).fill(keyName);
    await dialog.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("dialog", { name: `Key “${keyName}” created` });
    await shown.waitFor();
    const keyBox = shown.getByRole("textbox", { name: "API key" });
    createdKey = await keyBox.inputValue();
    expect(createdKey).toMatch(/^sdk_[A-Za-z0-9_-]+$/);
    expect(await keyBox.getAttribute("readonly")).not.toBeNull();
    expect(await shown.innerText()).toContain("You will not see it again.");

    await shown.getByRole("button", { name: "Copy" }).click();
    await shown.getByRole("status").filter({ hasText: "Copied to the clipboard." }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(createdKey);
    // The dialog as a person sees it on screen (a full-page shot would scroll the modal away).
    await page.screenshot({ path: join(shotsDir, "settings-key-created.png") });

    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "hidden" });
    const table = page.getByRole("table", { name: "API keys" });
    const row = table.getByRole("row").filter({ hasText: keyName });
    await row.waitFor();
    expect(await row.innerText()).toContain("Active");
    expect(await row.innerText()).toContain("Never");
    expect(await row.innerText()).toContain(c.server.credentials.email);
    expect(await page.content()).not.toContain(createdKey);

    // The key works for the tool's backends, and using it shows under "Last used".
    expect(await usageCheckStatus(createdKey)).not.toBe(401);
    await reloadSettings();
    const listed = page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: keyName });
    await listed.waitFor();
    expect(await listed.innerText()).not.toContain("Never");
    expect(await listed.innerText()).toMatch(/sdk_[A-Za-z0-9_-]+_…/);
    expect(await page.content()).not.toContain(createdKey);
    expect(await page.getByRole("textbox", { name: "API key" }).count()).toBe(0);
  });

  it("revokes the key after asking, and the key stops working", async () => {
    const table = page.getByRole("table", { name: "API keys" });
    await table.getByRole("button", { name: `Revoke ${keyName}` }).click();
    const confirm = page.getByRole("dialog", { name: `Revoke the key “${keyName}”?` });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain("This cannot be undone");
    // Escape is a way out: nothing is revoked.
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "hidden" });
    expect(await usageCheckStatus(createdKey)).not.toBe(401);

    await table.getByRole("button", { name: `Revoke ${keyName}` }).click();
    await confirm.waitFor();
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await confirm.waitFor({ state: "hidden" });
    await page.getByRole("status").filter({ hasText: `Revoked the key “${keyName}”` }).waitFor();
    const row = table.getByRole("row").filter({ hasText: keyName });
    await expect.poll(() => row.innerText(), patiently).toContain("Revoked");
    expect(await row.getByRole("button").count()).toBe(0);
    expect(await usageCheckStatus(createdKey)).toBe(401);
  });

  it("fits at 768 px wide", async () => {
    await page.setViewportSize({ width: 768, height: 1000 });
    onTestFinished(() => page.setViewportSize({ width: 1280, height: 800 }));
    await reloadSettings();
    await page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: keyName }).waitFor();
    // Nothing sticks out to the right: the page does not scroll sideways (a wide table scrolls in its own box).
    const sticking = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      return [...document.querySelectorAll("main *")]
        .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !el.closest(".table-wrap"))
        .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`)
        .slice(0, 5);
    });
    expect(sticking).toEqual([]);
    expect(await page.getByRole("main").evaluate((main) => main.scrollWidth - main.clientWidth)).toBeLessThanOrEqual(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    // Every action stays reachable on screen.
    for (const name of ["Create key", "Add group override", "Add user override", "Save cap"]) {
      const box = await page.getByRole("button", { name }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(768);
    }
    await c.shot("settings-768.png");
  });

  it("shows a viewer every value and nothing that changes one", async () => {
    const viewer = { email: "viewer@northwind.example", name: "Vera Viewer" };
    const invited = await page.evaluate(async (body) => {
      const response = await fetch("/trpc/admins.invite", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return (await response.json()) as { result?: { data: { oneTimePassword: string } } };
    }, { ...viewer, role: "viewer" });
    const password = invited.result?.data.oneTimePassword;
    expect(password).toBeTruthy();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in to the console" }).waitFor();
    await c.signIn({ email: viewer.email, password: password! });
    await openSettings();

    expect(await page.getByRole("main").innerText()).toContain("read-only access");
    expect(await overagesSwitch().isChecked()).toBe(true);
    expect(await overagesSwitch().isDisabled()).toBe(true);
    const limits = region("Overage limits");
    expect(await limits.innerText()).toContain("In force: $500.00 a month");
    expect(await limits.innerText()).toContain("250 credits a month per person");
    expect(await limits.getByRole("textbox", { name: "Monthly budget in US dollars" }).isEditable()).toBe(false);
    expect(await region("Cancellations and first month").getByRole("radio", { name: /^Immediately/ }).isChecked()).toBe(true);
    expect(await region("Cancellations and first month").getByRole("radio", { name: /^Immediately/ }).isDisabled()).toBe(true);
    expect(await page.getByRole("table", { name: "User overrides" }).innerText()).toContain("Never allowed");
    await page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: keyName }).waitFor();

    // No button in the page's content changes anything: only the page's own navigation remains.
    const buttons = await page.getByRole("main").getByRole("button").allInnerTexts();
    expect(buttons).toEqual([]);
    for (const name of ["Create key", "Revoke", "Save cap", "Save budget", "Add group override", "Add user override"]) {
      expect(await page.getByRole("button", { name }).count(), name).toBe(0);
    }
    await c.shot("settings-viewer.png");
    expect(c.pageErrors).toEqual([]);
  });
});
