import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConsole, patiently, type Console } from "./browser";

/**
 * Webhooks in a real browser against the real server (issue 15): the owner adds an endpoint that points at a
 * receiver on 127.0.0.1, copies the secret shown once, sends a test event that the receiver first refuses
 * (500), sees the failure in the delivery log, sends it again, and sees it delivered with the same
 * webhook-id; the receiver verifies both requests' signatures with standardwebhooks.
 */
let c: Console;
let page: Page;
let receiver: Server;
let receiverUrl = "";
let secret = "";
const received: { id: string; verified: boolean }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = { "webhook-id": String(req.headers["webhook-id"]), "webhook-timestamp": String(req.headers["webhook-timestamp"]), "webhook-signature": String(req.headers["webhook-signature"]) };
      let verified = false;
      try {
        new Webhook(secret).verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
      received.push({ id: headers["webhook-id"], verified });
      res.writeHead(received.length === 1 ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/seatdesk`;
  c = await openConsole({ width: 1280, height: 800 }, { SEATDESK_WEBHOOK_EVERY_S: "0.5" });
  page = c.page;
  await c.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: c.server.url });
  await c.signIn();
}, 180_000);
afterAll(async () => {
  await c?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

const logTable = () => page.getByRole("table", { name: "Deliveries" });

describe("Webhooks", () => {
  it("the owner adds an endpoint from Account › Webhooks and sees its secret once", async () => {
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a webhook endpoint" });
    await dialog.getByLabel("Endpoint URL").fill("ftp://nowhere.example");
    await dialog.getByRole("button", { name: "Add endpoint" }).click();
    await expect.poll(() => dialog.getByRole("alert").textContent(), patiently).toContain("Only http and https");
    await dialog.getByLabel("Endpoint URL").fill(receiverUrl);
    await dialog.getByLabel("Subscription changed").check();
    await dialog.getByRole("button", { name: "Add endpoint" }).click();
    const shown = page.getByRole("dialog", { name: "Endpoint created" });
    secret = await shown.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    await c.shot("webhooks-secret-once.png");
    await shown.getByRole("button", { name: "Done" }).click();
    const row = page.getByRole("table", { name: "Webhook endpoints" }).getByRole("row").filter({ hasText: receiverUrl });
    await expect.poll(() => row.textContent(), patiently).toContain("Subscription changed");
    expect(await row.textContent()).toContain("Enabled");
    expect(await page.content()).not.toContain(secret);
  });

  it("a test event refused with 500 shows in the log; Send again delivers it with the same webhook-id", async () => {
    await page.getByRole("button", { name: "Send test event" }).click();
    const row = logTable().getByRole("row").filter({ hasText: "webhook.test" });
    await expect.poll(() => row.textContent(), { timeout: 20_000, interval: 200 }).toContain("HTTP 500");
    expect(await row.textContent()).toContain("Pending");
    await row.getByRole("button", { name: "Send again" }).click();
    await expect.poll(() => row.textContent(), { timeout: 20_000, interval: 200 }).toContain("Delivered");
    expect(await row.textContent()).toContain("200");
    expect(received).toHaveLength(2);
    expect(received[0]!.id).toBe(received[1]!.id);
    expect(received.every((r) => r.verified)).toBe(true);
    await c.shot("webhooks-delivery-log.png");
    expect(c.pageErrors).toEqual([]);
  });
});
