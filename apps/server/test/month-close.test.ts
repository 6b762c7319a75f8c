import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { and, eq, sql } from "drizzle-orm";
import { defaultCatalog, getTier } from "@seatdesk/domain";
import { auditLog, invoiceLines, invoices, notices, profiles, rowsOf, subscriptions } from "@seatdesk/db";
import { closeBatch, closeDue } from "@seatdesk/scheduler";
import { activateAt, callerAs, harnessForFile, makeTenant, recordUsage, subscribeAt, testNow, type Harness, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

/** Issue 6: the month close, through the library and the test clock. */
const h = harnessForFile({ resetClock: true });

const at = (iso: string) => new Date(iso);
const price = (tier: "pro" | "pro_plus" | "power") => getTier(defaultCatalog, tier).priceCents;

async function invoiceRows(t: Tenant) {
  return h.database.db.select().from(invoices).where(and(eq(invoices.accountId, t.accountId), eq(invoices.profileId, t.profileId))).orderBy(invoices.period);
}
async function subscriptionOf(t: Tenant, userId: string) {
  const [row] = await h.database.db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId), eq(subscriptions.userId, userId)));
  return row ?? null;
}
const closeFor = (hh: Harness, t: Tenant, now: Date) => closeDue(hh.database.db, defaultCatalog, now, { accountId: t.accountId });

/** January: users 0-3 subscribed on the 8th; 0 and 1 Active (1 with overage), 2 Pending all month, 3 Active then Canceled; 4 upgraded to Power. */
async function januaryTenant(): Promise<Tenant> {
  const t = await makeTenant(h, { users: 6 });
  const api = callerAs(h, t.admins.owner);
  await api.settings.update({ profileId: t.profileId, overagesEnabled: true });
  const [u0, u1, , u3, u4] = t.userIds as [string, string, string, string, string];
  await subscribeAt(h, t, t.userIds.slice(0, 5), "pro", testNow);
  await activateAt(h, t, [u0, u3, u4], at("2026-01-09T10:00:00Z"));
  await recordUsage(h, t, u1, at("2026-01-10T10:00:00Z"), { includedCc: getTier(defaultCatalog, "pro").allowanceCenticredits, overageCc: 12_345, unbilledCc: 0 });
  h.clock.set(at("2026-01-20T00:00:00Z"));
  await api.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [u3] });
  await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [u4], tier: "power" });
  await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [u0], tier: "pro_plus" });
  await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [u0], tier: "pro" }); // back down: a downgrade on Feb 1? no: Pro+ was held, so Pro is scheduled
  return t;
}

describe("closing a month", () => {
  it("finalizes the invoice the running estimate showed, line for line, once; a second run adds nothing", async () => {
    const t = await januaryTenant();
    const api = callerAs(h, t.admins.viewer);
    h.clock.set(at("2026-01-31T23:59:00Z"));
    const estimate = await api.billing.estimate({ profileId: t.profileId, limit: 100 });
    expect(estimate.lines.length).toBeGreaterThan(2);

    // Inside the grace window nothing is due; after it, January closes.
    expect((await closeFor(h, t, at("2026-02-01T00:10:00Z"))).closed).toBe(0);
    const first = await closeFor(h, t, at("2026-02-01T00:20:00Z"));
    expect(first).toMatchObject({ closed: 1, failed: 0 });
    h.clock.set(at("2026-02-01T00:20:00Z"));
    const invoice = await api.billing.invoice({ profileId: t.profileId, period: "2026-01", limit: 100 });
    expect(invoice.lines).toEqual(estimate.lines);
    expect({ fees: invoice.feesCents, overage: invoice.overageCents, total: invoice.totalCents }).toEqual({
      fees: estimate.feesCents,
      overage: estimate.overageCents,
      total: estimate.totalCents,
    });
    // Pending all month: no line. Canceled in January: charged for January.
    expect(invoice.lines.map((l) => l.userId)).not.toContain(t.userIds[2]);
    expect(invoice.lines.find((l) => l.userId === t.userIds[3])?.feeCents).toBe(price("pro"));
    expect(invoice.lines.find((l) => l.userId === t.userIds[4])).toMatchObject({ feeTier: "power", feeCents: price("power") });

    const again = await closeFor(h, t, at("2026-02-01T00:30:00Z"));
    expect(again.closed).toBe(0);
    const rows = await invoiceRows(t);
    expect(rows.map((r) => r.period)).toEqual(["2026-01"]);
    expect(rows[0]!.finalizedAt.toISOString()).toBe("2026-02-01T00:20:00.000Z");
    const lines = await h.database.db.select().from(invoiceLines).where(eq(invoiceLines.accountId, t.accountId));
    expect(lines).toHaveLength(invoice.lines.length);
  });

  it("writes down the month's transitions: the downgrade is applied, ended access is kept as history off the current list, the new month's notice says whether overage is on", async () => {
    const t = await januaryTenant();
    const [u0, , , u3] = t.userIds as [string, string, string, string];
    expect(await subscriptionOf(t, u0)).toMatchObject({ tier: "pro_plus", scheduledTier: "pro" });
    await closeFor(h, t, at("2026-02-01T00:20:00Z"));
    expect(await subscriptionOf(t, u0)).toMatchObject({ tier: "pro", scheduledTier: null, scheduledAt: null, status: "active" });
    // Edge case 13: the ended subscription is history, never deleted.
    expect(await subscriptionOf(t, u3)).toMatchObject({ status: "canceled", tier: "pro", accessEndsAt: at("2026-02-01T00:00:00Z") });
    const [notice] = await h.database.db.select().from(notices).where(and(eq(notices.accountId, t.accountId), eq(notices.kind, "allowance-reset")));
    expect(notice).toMatchObject({ period: "2026-02", userId: null });
    expect(notice!.detail).toMatch(/Overage is on/);
    const [audit] = await h.database.db.select().from(auditLog).where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "period.close")));
    expect(audit).toMatchObject({ actorType: "system", targetId: "2026-01" });
    expect(audit!.after).toMatchObject({ downgradesApplied: 1, subscriptionsEnded: 1 });

    // The Users tab reads the same before and after: the close only wrote down what was already in force.
    h.clock.set(at("2026-02-02T00:00:00Z"));
    const rows = (await callerAs(h, t.admins.viewer).subscriptions.list({ profileId: t.profileId })).rows;
    expect(rows.find((r) => r.userId === u0)).toMatchObject({ tier: "pro", status: "active", scheduledTier: null });
    expect(rows.find((r) => r.userId === u3)).toMatchObject({ tier: null, status: null, ended: { tier: "pro", at: "2026-02-01T00:00:00.000Z" } });
  });

  it("profiles of several accounts closed in one batch: each invoice holds its own profile's lines, as its estimate showed", async () => {
    // Different shapes, so a line given to the wrong profile of the batch changes what some invoice holds.
    const tenants = [await januaryTenant(), await makeTenant(h, { users: 3 }), await januaryTenant()];
    const small = tenants[1]!;
    await subscribeAt(h, small, small.userIds, "power", testNow);
    await activateAt(h, small, small.userIds, at("2026-01-05T10:00:00Z"));
    h.clock.set(at("2026-01-31T23:59:00Z"));
    const estimates = [];
    for (const t of tenants) estimates.push(await callerAs(h, t.admins.viewer).billing.estimate({ profileId: t.profileId, limit: 100 }));

    const outcomes = await closeBatch(h.database.db, defaultCatalog, tenants.map((t) => ({ accountId: t.accountId, id: t.profileId })), at("2026-02-01T00:20:00Z"));
    expect([...outcomes.values()].map((o) => o.kind)).toEqual(["closed", "closed", "closed"]);
    h.clock.set(at("2026-02-01T00:20:00Z"));
    for (const [i, t] of tenants.entries()) {
      const invoice = await callerAs(h, t.admins.viewer).billing.invoice({ profileId: t.profileId, period: "2026-01", limit: 100 });
      expect(invoice.lines, `tenant ${i}`).toEqual(estimates[i]!.lines);
      expect(invoice.totalCents, `tenant ${i}`).toBe(estimates[i]!.totalCents);
      const stored = await h.database.db.select().from(invoiceLines).where(and(eq(invoiceLines.accountId, t.accountId), eq(invoiceLines.profileId, t.profileId)));
      expect(stored.map((l) => l.userId).sort(), `tenant ${i}`).toEqual(estimates[i]!.lines.map((l) => l.userId).sort());
    }
    expect(estimates[1]!.lines).toHaveLength(3);
  });

  it("catches up: a worker down for three month ends closes each missed month in order, with an invoice for each", async () => {
    const t = await januaryTenant();
    const summary = await closeFor(h, t, at("2026-04-02T00:00:00Z"));
    expect(summary).toMatchObject({ closed: 3, failed: 0 });
    const rows = await invoiceRows(t);
    expect(rows.map((r) => r.period)).toEqual(["2026-01", "2026-02", "2026-03"]);
    // February and March: users 0, 1 and 4 Active all month at Pro, Pro and Power; user 2 still Pending; user 3 gone.
    for (const r of rows.slice(1)) expect(r.feesCents).toBe(price("pro") * 2 + price("power"));
    const [profile] = await h.database.db.select().from(profiles).where(eq(profiles.id, t.profileId));
    expect(profile!.closedThrough).toBe("2026-03");
  });

  it("four closers at once write exactly one invoice per profile and period", async () => {
    const tenants = [await januaryTenant(), await januaryTenant()];
    const now = at("2026-03-01T01:00:00Z");
    const runs = await Promise.all(tenants.flatMap((t) => [closeFor(h, t, now), closeFor(h, t, now), closeFor(h, t, now), closeFor(h, t, now)]));
    expect(runs.reduce((n, r) => n + r.failed, 0)).toBe(0);
    expect(runs.reduce((n, r) => n + r.closed, 0)).toBe(4);
    for (const t of tenants) expect((await invoiceRows(t)).map((r) => r.period)).toEqual(["2026-01", "2026-02"]);
  });

  it("closers starting at different points of the due profiles (the workers' random start) close each profile's months once", async () => {
    const t = await januaryTenant();
    const extra = await h.database.db
      .insert(profiles)
      .values(Array.from({ length: 7 }, (_, i) => ({ accountId: t.accountId, region: `extra-${i}`, name: `Extra ${i}`, createdAt: testNow })))
      .returning();
    const now = at("2026-03-01T01:00:00Z");
    const runs = await Promise.all([0, 0.3, 0.6, 0.99].map((start) => closeDue(h.database.db, defaultCatalog, now, { accountId: t.accountId, start, batchSize: 2 })));
    expect(runs.reduce((n, r) => n + r.failed, 0)).toBe(0);
    expect(runs.reduce((n, r) => n + r.closed, 0)).toBe(16);
    const rows = await h.database.db.select({ profileId: invoices.profileId, period: invoices.period }).from(invoices).where(eq(invoices.accountId, t.accountId));
    for (const id of [t.profileId, ...extra.map((p) => p.id)]) expect(rows.filter((r) => r.profileId === id).map((r) => r.period).sort(), id).toEqual(["2026-01", "2026-02"]);
    expect(rows).toHaveLength(16);
  });

  it("a change in the ended month's grace window does not rewrite it: an upgrade bills the new tier from the new month, an activation bills nothing for the old one", async () => {
    // Active since December, untouched in January (so January has no ledger of its own until the close).
    h.clock.set(at("2025-12-01T00:00:00Z"));
    const t = await makeTenant(h, { users: 2 });
    const [active, pending] = t.userIds as [string, string];
    await subscribeAt(h, t, [active, pending], "pro", at("2025-12-02T00:00:00Z"));
    await activateAt(h, t, [active], at("2025-12-03T00:00:00Z"));
    await closeFor(h, t, at("2026-01-01T00:20:00Z"));
    h.clock.set(at("2026-02-01T00:05:00Z"));
    await callerAs(h, t.admins.owner).subscriptions.changePlan({ profileId: t.profileId, userIds: [active], tier: "power" });
    await activateAt(h, t, [pending], at("2026-02-01T00:06:00Z"));
    await closeFor(h, t, at("2026-02-01T00:20:00Z"));
    h.clock.set(at("2026-02-01T00:20:00Z"));
    const january = await callerAs(h, t.admins.viewer).billing.invoice({ profileId: t.profileId, period: "2026-01", limit: 10 });
    expect(january.lines.map((l) => ({ userId: l.userId, feeTier: l.feeTier }))).toEqual([{ userId: active, feeTier: "pro" }]);
  });

  it("the test clock: an admin moves it to next month and the month closes; a viewer cannot; without a test clock it is refused", async () => {
    const t = await januaryTenant();
    h.clock.set(at("2026-01-31T12:00:00Z"));
    await expect(callerAs(h, t.admins.viewer).clock.advance({ nextMonth: true })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const moved = await callerAs(h, t.admins.admin).clock.advance({ nextMonth: true });
    expect(moved).toEqual({ now: "2026-02-01T00:20:00.000Z", closed: 1, skipped: 0, failed: 0 });
    expect(await callerAs(h, t.admins.viewer).clock.get()).toEqual({ now: "2026-02-01T00:20:00.000Z", testClock: true });
    await expect(callerAs(h, t.admins.admin).clock.advance({ to: "2026-01-01T00:00:00Z" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /^to: / });
    expect((await invoiceRows(t)).map((r) => r.period)).toEqual(["2026-01"]);

    const { createCaller } = await import("./month-close-caller");
    const system = createCaller({ ...h.deps, clock: { now: () => new Date() } }, t.admins.admin);
    await expect(system.clock.advance({ nextMonth: true })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
  });
});

describe("usage while the month closes", () => {
  it("a late event lands in the closed month before its invoice is made, or is refused after: never in both, never lost", async () => {
    const t = await makeTenant(h, { users: 4 });
    await subscribeAt(h, t, t.userIds, "pro", testNow);
    await activateAt(h, t, t.userIds, at("2026-01-09T00:00:00Z"));
    const { key } = await makeKey(h, t);
    const tool = callerWithKey(h, key);
    // The requests arrive just inside January's grace window; the close runs as it ends.
    h.clock.set(at("2026-02-01T00:14:59Z"));
    const sends = Array.from({ length: 40 }, (_, i) =>
      tool.usage
        .record({ userId: t.userIds[i % 4]!, credits: 1 + i, client: "cli", occurredAt: "2026-01-31T23:59:00Z", idempotencyKey: `late-${i}` })
        .then(
          (r) => ({ ok: true as const, cc: r.includedCc + r.overageCc + r.unbilledCc }),
          (e: unknown) => ({ ok: false as const, error: e as TRPCError }),
        ),
    );
    const [closed, ...answers] = await Promise.all([
      new Promise((r) => setTimeout(r, 5)).then(() => closeFor(h, t, at("2026-02-01T00:15:00Z"))),
      ...sends,
    ]);
    expect(closed, JSON.stringify(closed)).toMatchObject({ closed: 1, failed: 0 });
    for (const a of answers) if (!a.ok) expect(a.error).toMatchObject({ code: "PRECONDITION_FAILED", message: /^occurredAt: the period 2026-01 is closed/ });
    const acceptedCc = answers.reduce((n, a) => n + (a.ok ? a.cc : 0), 0);
    const [stored] = rowsOf<{ cc: string | number }>(
      await h.database.db.execute(sql`select coalesce(sum(credits_cc), 0) as cc from usage_events where account_id = ${t.accountId}::uuid and period = '2026-01'`),
    );
    const lines = await h.database.db.select().from(invoiceLines).where(and(eq(invoiceLines.accountId, t.accountId), eq(invoiceLines.period, "2026-01")));
    const invoicedCc = lines.reduce((n, l) => n + l.includedCc + l.overageCc + l.unbilledCc, 0);
    expect(Number(stored!.cc), JSON.stringify(answers.map((a) => (a.ok ? a.cc : a.error.message)))).toBe(acceptedCc);
    expect(invoicedCc).toBe(acceptedCc);
    // After the close, the same late event is refused.
    await expect(
      tool.usage.record({ userId: t.userIds[0]!, credits: 1, client: "cli", occurredAt: "2026-01-31T23:59:30Z", idempotencyKey: "after-close" }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
  });
});

// The worker process, killed by a failpoint in the middle of a close (PostgreSQL: the worker runs beside the server).
const url = process.env.TEST_DATABASE_URL;
if (url) {
  describe("the worker process, on PostgreSQL", () => {
    const serverDir = fileURLToPath(new URL("..", import.meta.url));
    const worker = (accountId: string, failpoint?: string) =>
      new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts", "--once", `--account=${accountId}`], {
          cwd: serverDir,
          env: { ...process.env, DATABASE_URL: url, SEATDESK_FAILPOINT: failpoint ?? "" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout }));
      });
    const invoiceView = async (t: Tenant) => {
      const heads = (await invoiceRows(t)).map((r) => ({ period: r.period, fees: r.feesCents, overage: r.overageCents, total: r.totalCents, lines: r.lineCount }));
      const lines = (await h.database.db.select().from(invoiceLines).where(eq(invoiceLines.accountId, t.accountId)))
        .map((l) => `${l.period} ${l.userDisplayName} ${l.feeTier} ${l.feeCents} ${l.overageCc} ${l.overageCents} ${l.unbilledCc} ${l.totalCents}`)
        .sort();
      return { heads, lines };
    };

    it("killed in the middle of a close, then restarted: the same invoices as an uninterrupted run, no duplicates", async () => {
      const killed = await januaryTenant();
      const steady = await januaryTenant();
      for (const step of ["close.after-invoice", "close.after-lines", "close.after-downgrades", "close.before-commit"]) {
        const crash = await worker(killed.accountId, step);
        expect(crash.code, step).toBe(86);
        expect(await invoiceRows(killed), step).toEqual([]);
      }
      const restarted = await worker(killed.accountId);
      expect(restarted.code).toBe(0);
      const summary = JSON.parse(restarted.stdout.trim().split("\n").at(-1)!) as { closed: number; skipped: number; failed: number };
      expect(summary.closed).toBeGreaterThan(1);
      expect(summary.failed).toBe(0);
      expect((await worker(killed.accountId)).stdout).toContain('"closed":0');

      const uninterrupted = await closeDue(h.database.db, defaultCatalog, new Date(), { accountId: steady.accountId });
      expect(uninterrupted.closed).toBe(summary.closed);
      expect(await invoiceView(killed)).toEqual(await invoiceView(steady));
    }, 120_000);
  });
}
