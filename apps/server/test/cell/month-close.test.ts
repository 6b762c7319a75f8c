import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { and, eq, inArray, sql } from "drizzle-orm";
import { defaultCatalog, getTier } from "@seatdesk/domain";
import { invoiceLines, invoices, rowsOf } from "@seatdesk/db";
import { closeDue } from "@seatdesk/scheduler";
import { activateAt, callerAs, makeTenant, recordUsage, subscribeAt, testNow, type Harness, type Tenant } from "../harness";
import { cell, cellHarness, tcpPortsOf } from "./cell";

/**
 * DESIGN.md §3 and issue 6: the month close with both of the cell's workers running, one of them killed
 * (SIGKILL) in the middle of a close transaction. The other one, and nothing else, finishes the backlog:
 * exactly one invoice per profile and period, each the invoice a single process closing alone writes for
 * the same tenant (closed in a database of its own, beside the cell's).
 */
const tenants = 60;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (iso: string) => new Date(iso);

let h: Harness;
let single: Harness;
let singleName: string;
let root: postgres.Sql;

beforeAll(async () => {
  h = await cellHarness();
  const url = new URL(cell().databaseUrl);
  singleName = `${url.pathname.slice(1)}_single`;
  root = postgres({ host: url.hostname, port: Number(url.port || 5432), username: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: "postgres", max: 1, onnotice: () => {} });
  await root.unsafe(`drop database if exists "${singleName}" with (force)`);
  await root.unsafe(`create database "${singleName}"`);
  url.pathname = `/${singleName}`;
  single = await cellHarness(url.toString());
  await single.database.migrate();
});
afterAll(async () => {
  // A worker left paused by a failure above would hold up cell:down until its SIGKILL.
  for (const w of cell().workers) if (running(w.pid)) process.kill(w.pid, "SIGCONT");
  await h.close();
  await single.close();
  await root.unsafe(`drop database if exists "${singleName}" with (force)`);
  await root.end();
});

/** January 2026 (month-close.test.ts's tenant): Active, overage, Pending, canceled, upgraded, a downgrade scheduled; every later month plain. */
async function januaryTenant(hh: Harness): Promise<Tenant> {
  hh.clock.set(testNow);
  const t = await makeTenant(hh, { users: 6 });
  const api = callerAs(hh, t.admins.owner);
  await api.settings.update({ profileId: t.profileId, overagesEnabled: true });
  const [u0, u1, , u3, u4] = t.userIds as [string, string, string, string, string];
  await subscribeAt(hh, t, t.userIds.slice(0, 5), "pro", testNow);
  await activateAt(hh, t, [u0, u3, u4], at("2026-01-09T10:00:00Z"));
  await recordUsage(hh, t, u1, at("2026-01-10T10:00:00Z"), { includedCc: getTier(defaultCatalog, "pro").allowanceCenticredits, overageCc: 12_345, unbilledCc: 0 });
  hh.clock.set(at("2026-01-20T00:00:00Z"));
  await api.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [u3] });
  await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [u4], tier: "power" });
  await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [u0], tier: "pro_plus" });
  await api.subscriptions.changePlan({ profileId: t.profileId, userIds: [u0], tier: "pro" });
  return t;
}

/** A profile's invoices as the comparison sees them: heads and lines, without ids and finalization times. */
async function invoiceView(hh: Harness, t: Tenant) {
  const heads = (await hh.database.db.select().from(invoices).where(and(eq(invoices.accountId, t.accountId), eq(invoices.profileId, t.profileId))).orderBy(invoices.period)).map(
    (r) => ({ period: r.period, fees: r.feesCents, overage: r.overageCents, total: r.totalCents, lines: r.lineCount }),
  );
  const lines = (await hh.database.db.select().from(invoiceLines).where(eq(invoiceLines.accountId, t.accountId)))
    .map((l) => `${l.period} ${l.userDisplayName} ${l.feeTier} ${l.feeCents} ${l.overageCc} ${l.overageCents} ${l.unbilledCc} ${l.totalCents}`)
    .sort();
  return { heads, lines };
}

async function invoiceCount(accountIds: string[]): Promise<number> {
  return (await h.database.db.select({ id: invoices.profileId }).from(invoices).where(inArray(invoices.accountId, accountIds))).length;
}

/** Whether the process has a database session inside a transaction now (its connections matched in pg_stat_activity). */
async function inTransaction(pid: number): Promise<boolean> {
  const ports = tcpPortsOf(pid);
  if (ports.length === 0) return false;
  const [row] = rowsOf<{ n: number }>(
    await h.database.db.execute(sql`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and client_port = any(${`{${ports.join(",")}}`}::int[]) and xact_start is not null`),
  );
  return row!.n > 0;
}

/** A process's state letter from /proc ("gone" once reaped); a killed child of init may linger a moment as a zombie (Z). */
function stateOf(pid: number): string {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1] ?? "?";
  } catch {
    return "gone";
  }
}
const running = (pid: number) => !["gone", "Z", "X"].includes(stateOf(pid));

describe("the month close in a cell", () => {
  it("two workers, one killed (SIGKILL) mid-close: exactly one invoice per profile and period, the same as one process closing alone", async () => {
    // What one process closing alone writes for this tenant.
    const alone = await januaryTenant(single);
    const aloneSummary = await closeDue(single.database.db, defaultCatalog, new Date());
    expect(aloneSummary.failed).toBe(0);
    const expected = await invoiceView(single, alone);
    const months = expected.heads.length;
    expect(months).toBeGreaterThanOrEqual(1);

    const [killed, survivor] = cell().workers.map((w) => w.pid) as [number, number];
    // Paused while the tenants are written, so that the workers meet the whole backlog at once.
    for (const pid of [killed, survivor]) process.kill(pid, "SIGSTOP");
    let seeded: Tenant[];
    try {
      seeded = [];
      for (let i = 0; i < tenants; i++) seeded.push(await januaryTenant(h));
    } finally {
      process.kill(killed, "SIGCONT");
    }
    const accountIds = seeded.map((t) => t.accountId);
    // The first worker closes some months alone; the second joins; the first is killed inside a close transaction.
    let before = 0;
    for (let i = 0; i < 1_000; i++) {
      before = await invoiceCount(accountIds);
      if (before > 0 && before < tenants * months && (await inTransaction(killed))) break;
      await sleep(10);
    }
    process.kill(survivor, "SIGCONT");
    process.kill(killed, "SIGKILL");
    expect(before, "invoices the first worker had committed when it was killed").toBeGreaterThan(0);
    expect(before).toBeLessThan(tenants * months);

    // The survivor closes the rest (every second).
    for (let i = 0; i < 600 && (await invoiceCount(accountIds)) < tenants * months; i++) await sleep(100);
    expect(running(killed), `the killed worker: ${stateOf(killed)}`).toBe(false);
    expect(running(survivor), `the other worker: ${stateOf(survivor)}`).toBe(true);

    const perPeriod = rowsOf<{ profile_id: string; period: string; n: number }>(
      await h.database.db.execute(sql`select profile_id, period, count(*)::int as n from invoices
        where account_id = any(${`{${accountIds.join(",")}}`}::uuid[]) group by profile_id, period`),
    );
    expect(perPeriod).toHaveLength(tenants * months);
    expect(perPeriod.filter((r) => r.n !== 1)).toEqual([]);
    for (const t of seeded) expect(await invoiceView(h, t)).toEqual(expected);
    console.info(JSON.stringify({ cellClose: { profiles: tenants, months, invoicesWhenKilled: before } }));
  });
});
