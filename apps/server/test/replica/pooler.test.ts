import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { defaultCatalog } from "@seatdesk/domain";
import { connect, rowsOf, type Database } from "@seatdesk/db";
import { closeDue } from "@seatdesk/scheduler";
import { fixedClock } from "../../src/clock";
import { createApp } from "../../src/http/app";
import { silentLog } from "../../src/log";
import { defaultRegions } from "../../src/regions";
import type { Deps } from "../../src/trpc/context";
import { callerAs, makeTenant, testNow, type Harness, type Tenant } from "../harness";
import { startPgBouncer, type Bouncer } from "../pgbouncer";
import { makeKey } from "../usage-helpers";

/**
 * Behind PgBouncer (Debian's 1.18, which keeps no prepared statements in transaction mode), with a pool of
 * 3 server connections shared by many clients: in transaction mode with DATABASE_PREPARE=0 (connect's
 * `prepare: false`), and in session mode with statements prepared as usual. The usage path's guarantees and
 * the month close hold through both.
 */
const adminUrl = process.env.SEATDESK_TEST_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const bouncerPort = Number(process.env.SEATDESK_TEST_BOUNCER_PORT ?? 6462);
const dbName = `seatdesk_pooler_${process.pid}`;
const directUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

let bouncer: Bouncer;
let direct: Database;
let h: Harness;

beforeAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName}`);
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  direct = await connect({ url: directUrl, max: 4 });
  await direct.migrate();
  const clock = fixedClock(testNow);
  h = { database: direct, clock, deps: { database: direct, clock, log: silentLog, catalog: defaultCatalog, regions: defaultRegions }, close: async () => {} };
  // 3 server connections for the 8 of each server below: transactions from different clients share them.
  bouncer = await startPgBouncer(directUrl, { port: bouncerPort, poolSize: 3, sessionPoolSize: 8 });
}, 120_000);

afterAll(async () => {
  await bouncer?.stop();
  await direct?.close();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}, 60_000);

interface Through {
  database: Database;
  server: Server;
  base: string;
}

/** A server in this process whose database connections go through PgBouncer's `pool` database. */
async function through(pool: "transaction" | "session", prepare: boolean): Promise<Through> {
  const database = await connect({ url: bouncer.url(pool), max: 8, prepare });
  const deps: Deps = { database, clock: fixedClock(testNow), log: silentLog, catalog: defaultCatalog, regions: defaultRegions };
  const server = createServer(createApp(deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { database, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function release(t: Through) {
  await new Promise((resolve) => t.server.close(resolve));
  await t.database.close();
}

async function record(base: string, key: string, body: unknown): Promise<{ status: number; data: { replayed?: boolean } | undefined; message: string | undefined }> {
  const res = await fetch(`${base}/trpc/usage.record`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  const json = (await res.json()) as { result?: { data: { replayed?: boolean } }; error?: { message: string } };
  return { status: res.status, data: json.result?.data, message: json.error?.message };
}

/** 8 clients at once, `perClient` events each over these users, plus 20 copies of one event sent at the same time. */
async function workload(base: string, key: string, t: Tenant, tag: string, perClient: number) {
  const when = testNow.toISOString();
  const clients = Array.from({ length: 8 }, (_, c) =>
    (async () => {
      for (let i = 0; i < perClient; i += 1) {
        const r = await record(base, key, { userId: t.userIds[c % 2], credits: (1 + ((c * 7 + i) % 50)) / 100, client: `c${c}`, occurredAt: when, idempotencyKey: `${tag}-${c}-${i}` });
        expect(r.status, r.message).toBe(200);
      }
    })(),
  );
  const same = Array.from({ length: 20 }, () => record(base, key, { userId: t.userIds[0], credits: 1.25, client: "ide", occurredAt: when, idempotencyKey: `${tag}-same` }));
  const [, answers] = await Promise.all([Promise.all(clients), Promise.all(same)]);
  expect(answers.every((a) => a.status === 200)).toBe(true);
  expect(answers.filter((a) => a.data?.replayed === false)).toHaveLength(1);
}

/** The month's counters against the recorded events, per user, to the hundredth. */
async function countersMatchEvents(accountId: string) {
  const rows = rowsOf<{ user_id: string; counted: string; recorded: string; events: string }>(
    await direct.db.execute(sql`
      select m.user_id, (m.included_cc + m.overage_cc + m.unbilled_cc)::text as counted,
        coalesce((select sum(e.credits_cc) from usage_events e where e.account_id = m.account_id and e.profile_id = m.profile_id and e.user_id = m.user_id and e.period = m.period), 0)::text as recorded,
        (select count(*) from usage_events e where e.account_id = m.account_id and e.profile_id = m.profile_id and e.user_id = m.user_id and e.period = m.period)::text as events
      from subscription_months m where m.account_id = ${accountId}::uuid`),
  );
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect(r.counted, `user ${r.user_id}`).toBe(r.recorded);
  return rows.reduce((n, r) => n + Number(r.events), 0);
}

describe("behind PgBouncer", () => {
  it("transaction mode with DATABASE_PREPARE=0: concurrent usage keeps one debit per key and counters equal to events; the console reads and writes; the month close runs", async () => {
    const t = await makeTenant(h, { users: 2 });
    await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
    const { key } = await makeKey(h, t);
    const pooled = await through("transaction", false);
    try {
      await workload(pooled.base, key, t, "tx", 40);
      expect(await countersMatchEvents(t.accountId)).toBe(8 * 40 + 1);

      const signIn = await fetch(`${pooled.base}/trpc/session.signIn`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: t.admins.admin.email, password: "correct horse battery staple" }),
      });
      expect(signIn.status).toBe(200);
      const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
      const list = await fetch(`${pooled.base}/trpc/subscriptions.list?input=${encodeURIComponent(JSON.stringify({ profileId: t.profileId }))}`, { headers: { cookie } });
      expect(list.status).toBe(200);
      const rows = ((await list.json()) as { result: { data: { rows: { tier: string | null }[] } } }).result.data.rows;
      expect(rows.filter((r) => r.tier === "pro")).toHaveLength(2);

      const summary = await closeDue(pooled.database.db, defaultCatalog, new Date(Date.UTC(2026, 1, 1, 0, 30)), { accountId: t.accountId });
      expect(summary.failed).toBe(0);
      const invoices = rowsOf<{ n: number }>(await direct.db.execute(sql`select count(*)::int as n from invoices where account_id = ${t.accountId}::uuid and period = '2026-01'`));
      expect(invoices[0]!.n).toBe(1);
    } finally {
      await release(pooled);
    }
  });

  it("session mode with prepared statements: the same guarantees", async () => {
    const t = await makeTenant(h, { users: 2 });
    await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
    const { key } = await makeKey(h, t);
    const pooled = await through("session", true);
    try {
      await workload(pooled.base, key, t, "session", 20);
      expect(await countersMatchEvents(t.accountId)).toBe(8 * 20 + 1);
    } finally {
      await release(pooled);
    }
  });
});
