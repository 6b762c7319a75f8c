import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, count, eq, sql } from "drizzle-orm";
import { defaultCatalog, endpointWants, webhookEventTypes } from "@seatdesk/domain";
import { auditLog, notices, rowsOf, webhookDeliveries, webhookEndpoints, webhookEvents } from "@seatdesk/db";
import { closeDue } from "@seatdesk/scheduler";
import { deliverDue } from "../src/services/webhooks/deliver";
import { callerAs, harnessForFile, makeTenant, rejection, testNow, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";
import { listen, makeScimToken, scim } from "./scim-helpers";
import { startReceiver, type Receiver } from "./webhook-receiver";

/** Issue 15, "Webhooks": the outbox, signed deliveries to a real receiver, retries, disabling, the API. */
const h = harnessForFile({ resetClock: true });
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());

const s = 1000;
const later = (ms: number) => new Date(testNow.getTime() + ms);
// Through the application's database: the product's statements (tenant-sql.test.ts reads them).
const deliver = (t: Tenant, now: Date) => deliverDue(h.deps.database.db, now, { accountId: t.accountId, random: () => 0.5 });

async function endpointFor(t: Tenant, eventTypes: (typeof webhookEventTypes)[number][] = []) {
  const created = await callerAs(h, t.admins.owner).webhooks.create({ url: rx.url, description: "ops", eventTypes });
  rx.setSecret(created.secret);
  rx.respondWith(() => 200);
  return created;
}
const eventsOf = (t: Tenant) => h.database.db.select().from(webhookEvents).where(eq(webhookEvents.accountId, t.accountId)).orderBy(asc(webhookEvents.createdAt));
const deliveriesOf = (t: Tenant) => h.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.accountId, t.accountId));
const receivedFor = (ids: Set<string>) => rx.received.filter((r) => ids.has(r.id));

describe("events in the outbox, delivered signed", () => {
  it("a subscription change, a notice and an invoice reach the receiver, each verified, with the outbox's id as webhook-id", async () => {
    const t = await makeTenant(h, { users: 3 });
    const { endpoint, secret } = await endpointFor(t);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(JSON.stringify(await callerAs(h, t.admins.viewer).webhooks.list())).not.toContain(secret);

    const [u0] = t.userIds as [string];
    await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [u0], tier: "pro" });
    const { key } = await makeKey(h, t);
    await callerWithKey(h, key).usage.record({ userId: u0, credits: 850, client: "ide", occurredAt: testNow.toISOString(), idempotencyKey: "k-1" });
    expect(await deliver(t, testNow)).toMatchObject({ sent: 2, delivered: 2 });

    const events = await eventsOf(t);
    expect(events.map((e) => e.type).sort()).toEqual(["notice.allowance-80", "subscription.changed"]);
    const got = receivedFor(new Set(events.map((e) => e.id)));
    expect(got).toHaveLength(2);
    for (const r of got) expect(r.verified, r.body).not.toBeNull();
    const byType = new Map(got.map((r) => [r.verified!.type, r.verified!]));
    expect(byType.get("subscription.changed")).toEqual({
      type: "subscription.changed",
      timestamp: testNow.toISOString(),
      data: {
        accountId: t.accountId,
        profile: { id: t.profileId, region: "us-east-1", name: "Main" },
        user: expect.objectContaining({ id: u0, displayName: "User 00000", active: true }),
        cause: "plan-change",
        groupId: null,
        before: null,
        after: { tier: "pro", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null },
        actor: { type: "admin", label: t.admins.owner.email },
        at: testNow.toISOString(),
      },
    });
    expect(byType.get("notice.allowance-80")!.data).toMatchObject({ kind: "allowance-80", period: "2026-01", user: { id: u0 }, profile: { id: t.profileId } });

    // The month close finalizes January: invoice.finalized (and the allowance-reset notice) go out.
    const close = new Date("2026-02-01T00:20:00Z");
    await closeDue(h.database.db, defaultCatalog, close, { accountId: t.accountId });
    expect(await deliver(t, close)).toMatchObject({ sent: 2, delivered: 2 });
    const invoice = rx.received.map((r) => r.verified).find((v) => v?.type === "invoice.finalized" && (v.data as { accountId: string }).accountId === t.accountId);
    expect(invoice!.data).toEqual({
      accountId: t.accountId,
      profile: { id: t.profileId, region: "us-east-1", name: "Main" },
      period: "2026-01",
      currency: "USD",
      feesCents: 2000,
      overageCents: 0,
      totalCents: 2000,
      lineCount: 1,
      finalizedAt: close.toISOString(),
    });
    const deliveries = await deliveriesOf(t);
    expect(deliveries).toHaveLength(4);
    expect(deliveries.every((d) => d.status === "delivered" && d.lastResponseCode === 200 && d.attempts === 1)).toBe(true);
    const log = await callerAs(h, t.admins.viewer).webhooks.deliveries({ endpointId: endpoint.id });
    expect(log.items.map((i) => i.type)).toEqual(expect.arrayContaining(["invoice.finalized", "notice.allowance-reset"]));
    expect(log.items.every((i) => i.status === "delivered" && i.lastResponseCode === 200)).toBe(true);
  });

  it("a change that rolls back leaves nothing in the outbox and sends nothing", async () => {
    const t = await makeTenant(h, { users: 2 });
    await endpointFor(t);
    const failed = await h.database.db
      .transaction(async (tx) => {
        await tx.insert(notices).values({ accountId: t.accountId, profileId: t.profileId, userId: t.userIds[0]!, period: "2026-01", kind: "allowance-80", createdAt: testNow });
        expect((await tx.select({ n: count() }).from(webhookEvents).where(eq(webhookEvents.accountId, t.accountId)))[0]!.n).toBe(1);
        throw new Error("roll back");
      })
      .then(() => false, () => true);
    expect(failed).toBe(true);
    // Through the API: one unknown user and the whole subscribe is refused, its audit entries (and events) with it.
    await rejection(callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[0]!, t.accountId], tier: "pro" }));
    expect(await eventsOf(t)).toEqual([]);
    expect(await deliver(t, testNow)).toMatchObject({ sent: 0 });
  });

  it("an endpoint gets only the types it asked for; the triggers' choice equals the domain's endpointWants", async () => {
    const t = await makeTenant(h, { users: 2 });
    await endpointFor(t, ["invoice.finalized"]);
    await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: "pro" });
    expect(await eventsOf(t)).toEqual([]);

    const lists: string[][] = [[], ["notice.*"], ["notice.allowance-80"], ["subscription.changed", "notice.cap-reached"], ["report.ready"]];
    const api = callerAs(h, t.admins.owner);
    const ids: string[] = [];
    for (const l of lists) ids.push((await api.webhooks.create({ url: rx.url, eventTypes: l as never })).endpoint.id);
    const first = (await h.database.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(and(eq(webhookEndpoints.accountId, t.accountId), eq(webhookEndpoints.eventTypes, ["invoice.finalized"]))))[0]!.id;
    const all = [[first, ["invoice.finalized"]] as const, ...lists.map((l, i) => [ids[i]!, l] as const)];
    for (const type of [...webhookEventTypes, "notice.seat-note", "webhook.test"]) {
      const [row] = rowsOf<{ ids: string[] | string | null }>(await h.database.db.execute(sql`select webhook_targets(${t.accountId}::uuid, ${type}) as ids`));
      const fromSql = row!.ids === null ? [] : Array.isArray(row!.ids) ? row!.ids : row!.ids.replace(/[{}]/g, "").split(",");
      const expected = all.filter(([, l]) => endpointWants(l, type)).map(([id]) => id);
      expect(fromSql.sort(), type).toEqual(expected.sort());
    }
  });
});

describe("identity-provider changes", () => {
  it("SCIM creates and deactivates a subscribed user: identity.user.changed twice, its subscription.changed and the idp notice", async () => {
    const server = await listen(h);
    try {
      const t = await makeTenant(h, { users: 0 });
      await endpointFor(t, ["identity.user.changed", "notice.idp-deactivated", "subscription.changed"]);
      const { token } = await makeScimToken(h, t);
      const created = await scim(server.url, token, "POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@example.com", displayName: "Ada King", active: true });
      const userId = (created.body as { id: string }).id;
      await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [userId], tier: "pro" });
      await scim(server.url, token, "PATCH", `/Users/${userId}`, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", value: { active: false } }],
      });
      const start = rx.received.length;
      expect(await deliver(t, testNow)).toMatchObject({ delivered: 5 });
      const got = rx.received.slice(start).map((r) => r.verified!);
      const identity = got.filter((v) => v.type === "identity.user.changed").map((v) => v.data);
      expect(identity.map((d) => d.change).sort()).toEqual(["created", "deactivated"]);
      expect(identity[0]).toMatchObject({ accountId: t.accountId, user: { id: userId, userName: "ada@example.com", displayName: "Ada King" } });
      const causes = got.filter((v) => v.type === "subscription.changed").map((v) => [v.data.cause, (v.data.after as { status: string } | null)?.status ?? null]);
      // Still Pending when the identity provider deactivated them: the subscription is removed (DESIGN.md §2, Canceled).
      expect(causes.sort()).toEqual([["identity-provider", null], ["plan-change", "pending"]]);
      expect(got.find((v) => v.type === "notice.idp-deactivated")!.data).toMatchObject({ kind: "idp-deactivated", user: { id: userId, active: false } });
    } finally {
      await server.close();
    }
  });
});

describe("report.ready", () => {
  it("a daily report file written, then rewritten with a new checksum, is ready each time; sealing it is not", async () => {
    const t = await makeTenant(h, { users: 1 });
    await endpointFor(t, ["report.ready"]);
    // The row the daily report job writes per file (reports/daily-job.ts), written here as it writes it.
    await h.database.db.execute(sql`
      insert into activity_report_files (account_id, profile_id, day, file_name, rows, sha256, column_version, written_at)
      values (${t.accountId}::uuid, ${t.profileId}::uuid, '2026-01-07', '2026-01-07.csv', 12, 'aa11', 1, ${testNow.toISOString()}::timestamptz)`);
    await h.database.db.execute(sql`update activity_report_files set sha256 = 'bb22', rows = 13, written_at = ${later(s).toISOString()}::timestamptz where account_id = ${t.accountId}::uuid`);
    await h.database.db.execute(sql`update activity_report_files set final = true where account_id = ${t.accountId}::uuid`);
    const start = rx.received.length;
    expect(await deliver(t, later(2 * s))).toMatchObject({ sent: 2, delivered: 2 });
    const data = rx.received.slice(start).map((r) => r.verified!.data).sort((a, b) => String(a.writtenAt).localeCompare(String(b.writtenAt)));
    const common = { accountId: t.accountId, profile: { id: t.profileId, region: "us-east-1", name: "Main" }, day: "2026-01-07", fileName: "2026-01-07.csv", columnVersion: 1, final: false };
    expect(data).toEqual([
      { ...common, rows: 12, sha256: "aa11", rewritten: false, writtenAt: testNow.toISOString() },
      { ...common, rows: 13, sha256: "bb22", rewritten: true, writtenAt: later(s).toISOString() },
    ]);
  });
});

describe("retries, disabling, send again", () => {
  it("a 500 is retried with backoff (10 s, then 30 s, ±20%) and delivered later, every time with the same webhook-id", async () => {
    const t = await makeTenant(h, { users: 1 });
    const { endpoint } = await endpointFor(t);
    const api = callerAs(h, t.admins.admin);
    const { eventId, deliveryId } = await api.webhooks.sendTest({ endpointId: endpoint.id });
    const start = rx.received.length;
    rx.respondWith((n) => (n - start <= 2 ? 500 : 200));

    expect(await deliver(t, testNow)).toMatchObject({ sent: 1, retrying: 1 });
    let [d] = await deliveriesOf(t);
    expect(d).toMatchObject({ status: "pending", attempts: 1, lastResponseCode: 500, lastError: "HTTP 500", nextAttemptAt: later(10 * s) });
    expect(await deliver(t, later(9 * s))).toMatchObject({ sent: 0 });
    expect(await deliver(t, later(10 * s))).toMatchObject({ sent: 1, retrying: 1 });
    [d] = await deliveriesOf(t);
    expect(d).toMatchObject({ status: "pending", attempts: 2, nextAttemptAt: later(40 * s), firstAttemptAt: testNow });
    expect(await deliver(t, later(40 * s))).toMatchObject({ sent: 1, delivered: 1 });
    [d] = await deliveriesOf(t);
    expect(d).toMatchObject({ id: deliveryId, status: "delivered", attempts: 3, lastResponseCode: 200, lastError: null, deliveredAt: later(40 * s) });
    const got = rx.received.slice(start);
    expect(got.map((r) => r.id)).toEqual([eventId, eventId, eventId]);
    expect(got.every((r) => r.verified?.type === "webhook.test")).toBe(true);
    const [e] = await h.database.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(e).toMatchObject({ enabled: true, consecutiveFailures: 0, failingSince: null });
  });

  it("an endpoint that fails every attempt for 24 hours is disabled, audited and shown to owners; nothing more is queued for it", async () => {
    const t = await makeTenant(h, { users: 2 });
    const { endpoint } = await endpointFor(t);
    rx.respondWith(() => 503);
    await callerAs(h, t.admins.admin).webhooks.sendTest({ endpointId: endpoint.id });
    let now = testNow;
    let attempts = 0;
    for (let i = 0; i < 30; i++) {
      const c = await deliver(t, now);
      attempts += c.sent;
      if (c.endpointsDisabled > 0) break;
      const [d] = await deliveriesOf(t);
      now = d!.nextAttemptAt;
    }
    expect(attempts).toBe(14);
    const [d] = await deliveriesOf(t);
    expect(d).toMatchObject({ status: "failed", attempts: 14, lastResponseCode: 503 });
    const list = await callerAs(h, t.admins.owner).webhooks.list();
    expect(list.disabledCount).toBe(1);
    expect(list.endpoints[0]).toMatchObject({ enabled: false, consecutiveFailures: 14 });
    expect(list.endpoints[0]!.disabledReason).toContain("Every attempt failed for 24 hours: 14 in a row");
    const audits = await h.database.db.select().from(auditLog).where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "webhook.endpoint.disabled")));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorType: "system", targetId: endpoint.id });
    // Disabled: a new change queues nothing, a resend and a test are refused until an owner enables it again.
    await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: "pro" });
    expect((await eventsOf(t)).map((e) => e.type)).toEqual(["webhook.test"]);
    expect((await rejection(callerAs(h, t.admins.admin).webhooks.resend({ deliveryId: d!.id }))).code).toBe("PRECONDITION_FAILED");
    expect((await rejection(callerAs(h, t.admins.admin).webhooks.sendTest({ endpointId: endpoint.id }))).code).toBe("PRECONDITION_FAILED");
    const enabled = await callerAs(h, t.admins.owner).webhooks.update({ endpointId: endpoint.id, enabled: true });
    expect(enabled.endpoint).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
  });

  it("send again: a delivered event goes out once more with the same webhook-id, audited; admins may, viewers may not", async () => {
    const t = await makeTenant(h, { users: 1 });
    const { endpoint } = await endpointFor(t);
    const { deliveryId, eventId } = await callerAs(h, t.admins.admin).webhooks.sendTest({ endpointId: endpoint.id });
    await deliver(t, testNow);
    expect((await rejection(callerAs(h, t.admins.viewer).webhooks.resend({ deliveryId }))).code).toBe("FORBIDDEN");
    expect(await callerAs(h, t.admins.admin).webhooks.resend({ deliveryId })).toEqual({ id: deliveryId, eventId, status: "pending" });
    const start = rx.received.length;
    expect(await deliver(t, later(s))).toMatchObject({ sent: 1, delivered: 1 });
    expect(rx.received.slice(start).map((r) => [r.id, r.verified?.type])).toEqual([[eventId, "webhook.test"]]);
    const [d] = await deliveriesOf(t);
    expect(d).toMatchObject({ status: "delivered", attempts: 2 });
    const actions = (await h.database.db.select({ a: auditLog.action }).from(auditLog).where(eq(auditLog.accountId, t.accountId))).map((r) => r.a).sort();
    expect(actions).toEqual(["webhook.delivery.resend", "webhook.endpoint.create", "webhook.endpoint.sendTest"]);
  });
});

describe("the webhooks API", () => {
  it("only owners manage endpoints; a URL must be http(s) without credentials; every error names its field", async () => {
    const t = await makeTenant(h, { users: 1 });
    expect((await rejection(callerAs(h, t.admins.admin).webhooks.create({ url: rx.url }))).code).toBe("FORBIDDEN");
    expect((await rejection(callerAs(h, t.admins.viewer).webhooks.create({ url: rx.url }))).code).toBe("FORBIDDEN");
    const owner = callerAs(h, t.admins.owner);
    for (const [url, words] of [
      ["ftp://example.com/in", "url: only http and https"],
      ["https://user:secret@example.com/in", "url: remove the user name and password"],
      ["nonsense", "url: not a valid URL"],
    ] as const) {
      const e = await rejection(owner.webhooks.create({ url }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toContain(words);
    }
    const bad = await rejection(owner.webhooks.create({ url: rx.url, eventTypes: ["nope" as never] }));
    expect(bad.message).toContain("eventTypes.0");
    expect(await h.database.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.accountId, t.accountId))).toEqual([]);
  });

  it("update, rotate (both secrets verify for 24 hours), the paged log newest first, delete", async () => {
    const t = await makeTenant(h, { users: 1 });
    const { endpoint, secret: first } = await endpointFor(t);
    const owner = callerAs(h, t.admins.owner);
    expect(await owner.webhooks.update({ endpointId: endpoint.id, description: "ops" })).toMatchObject({ outcome: "unchanged" });
    expect(await owner.webhooks.update({ endpointId: endpoint.id, eventTypes: ["report.ready", "invoice.finalized", "report.ready"] })).toMatchObject({
      outcome: "changed",
      endpoint: { eventTypes: ["invoice.finalized", "report.ready"] },
    });
    const rotated = await owner.webhooks.rotateSecret({ endpointId: endpoint.id });
    expect(rotated.secret).not.toBe(first);
    expect(rotated.previousSecretExpiresAt).toBe(later(24 * 3600 * s).toISOString());
    const sent = [];
    for (let i = 0; i < 3; i++) {
      h.clock.set(later(i * s));
      sent.push(await owner.webhooks.sendTest({ endpointId: endpoint.id }));
    }
    const start = rx.received.length;
    await deliver(t, later(5 * s));
    const got = rx.received.slice(start);
    expect(got).toHaveLength(3);
    expect(got.every((r) => r.verified !== null && r.signature.split(" ").length === 2)).toBe(true); // the old secret still verifies
    rx.setSecret(rotated.secret);
    await owner.webhooks.resend({ deliveryId: sent[0]!.deliveryId });
    await deliver(t, later(24 * 3600 * s + s)); // past the grace: one signature, the new secret's
    const last = rx.received.at(-1)!;
    expect(last.verified).not.toBeNull();
    expect(last.signature.split(" ")).toHaveLength(1);

    const page1 = await callerAs(h, t.admins.viewer).webhooks.deliveries({ endpointId: endpoint.id, limit: 2 });
    expect(page1.items.map((i) => i.id)).toEqual([sent[2]!.deliveryId, sent[1]!.deliveryId]);
    const page2 = await callerAs(h, t.admins.viewer).webhooks.deliveries({ endpointId: endpoint.id, limit: 2, cursor: page1.nextCursor });
    expect(page2.items.map((i) => i.id)).toEqual([sent[0]!.deliveryId]);
    expect(page2.nextCursor).toBeNull();
    expect((await rejection(owner.webhooks.deliveries({ endpointId: endpoint.id, cursor: "x" }))).message).toContain("cursor");

    await owner.webhooks.remove({ endpointId: endpoint.id });
    expect((await owner.webhooks.list()).endpoints).toEqual([]);
    expect(await deliveriesOf(t)).toEqual([]);
    expect((await rejection(owner.webhooks.remove({ endpointId: endpoint.id }))).code).toBe("NOT_FOUND");
  });
});

const url = process.env.TEST_DATABASE_URL;
if (url) {
  describe("the worker process, on PostgreSQL", () => {
    const serverDir = fileURLToPath(new URL("..", import.meta.url));
    const startWorker = (accountId: string): ChildProcess =>
      spawn(process.execPath, ["--import", "tsx", "src/worker.ts", `--account=${accountId}`], {
        cwd: serverDir,
        env: { ...process.env, DATABASE_URL: url, SEATDESK_WEBHOOK_EVERY_S: "0.2", SEATDESK_WEBHOOK_TIMEOUT_S: "2", SEATDESK_CLOSE_EVERY_S: "3600" },
        stdio: ["ignore", "ignore", "ignore"],
      });
    const until = async (what: () => Promise<boolean> | boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!(await what())) {
        if (Date.now() > end) throw new Error("timed out waiting");
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once("exit", () => r())));

    it("killed while the receiver holds its requests: another worker sends each event again, with the same webhook-id", async () => {
      const t = await makeTenant(h, { users: 4 });
      await endpointFor(t, ["subscription.changed"]);
      await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
      const ids = new Set((await eventsOf(t)).map((e) => e.id));
      expect(ids.size).toBe(4);
      rx.respondWith(() => "hold");
      const first = startWorker(t.accountId);
      try {
        await until(() => receivedFor(ids).length >= 4, 30_000);
      } finally {
        first.kill("SIGKILL");
        await exited(first);
      }
      rx.release();
      expect((await deliveriesOf(t)).every((d) => d.status === "pending" && d.attempts === 0)).toBe(true);
      rx.respondWith(() => 200);
      const second = startWorker(t.accountId);
      try {
        await until(async () => (await deliveriesOf(t)).every((d) => d.status === "delivered"), 40_000);
      } finally {
        second.kill("SIGTERM");
        await exited(second);
      }
      const got = receivedFor(ids);
      for (const id of ids) expect(got.filter((r) => r.id === id).length, id).toBeGreaterThanOrEqual(2);
      expect(got.every((r) => r.verified?.type === "subscription.changed")).toBe(true);
      expect((await deliveriesOf(t)).every((d) => d.attempts === 1 && d.lastResponseCode === 200)).toBe(true);
    }, 90_000);
  });
}
