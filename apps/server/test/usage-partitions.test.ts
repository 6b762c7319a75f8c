import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { defaultCatalog } from "@seatdesk/domain";
import { rowsOf } from "@seatdesk/db";
import { closeDue, usagePartitionsJob } from "@seatdesk/scheduler";
import { createApp } from "../src/http/app";
import type { Recorded } from "../src/services/usage";
import { callerAs, harnessForFile, makeTenant, subscribeAt, type Tenant } from "./harness";
import { makeKey } from "./usage-helpers";

// Months far from every other test's (this file's database may be shared with them on PostgreSQL): the
// partitions made and archived here hold no one else's events.
const h = harnessForFile();

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer(createApp(h.deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

interface Answer<T> {
  status: number;
  data: T | undefined;
  error: { message: string; data: { domainCode?: string } } | undefined;
}
async function post<T>(key: string, path: string, input: unknown): Promise<Answer<T>> {
  const res = await fetch(`${base}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: Answer<T>["error"] };
  return { status: res.status, data: body.result?.data, error: body.error };
}
const refused = (a: Answer<unknown>) => ({ status: a.status, domainCode: a.error?.data.domainCode, message: a.error?.message });

/** Where each of the tenant's events is stored: its partition, by idempotency key. */
async function placement(t: Tenant): Promise<Record<string, string>> {
  const rows = rowsOf<{ key: string; part: string }>(
    await h.database.db.execute(sql`select idempotency_key as key, tableoid::regclass::text as part from usage_events where account_id = ${t.accountId}::uuid order by 1`),
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.part]));
}
const ledgers = async (t: Tenant) =>
  rowsOf<{ period: string; user_id: string; included_cc: string | number; overage_cc: string | number; unbilled_cc: string | number }>(
    await h.database.db.execute(sql`select period, user_id, included_cc, overage_cc, unbilled_cc from subscription_months where account_id = ${t.accountId}::uuid order by period, user_id`),
  ).map((r) => ({ ...r, included_cc: Number(r.included_cc), overage_cc: Number(r.overage_cc), unbilled_cc: Number(r.unbilled_cc) }));
const partitionNames = async () =>
  rowsOf<{ name: string }>(await h.database.db.execute(sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'usage_events'::regclass`)).map(
    (r) => r.name,
  );

async function subscribedTenant(at: Date): Promise<{ t: Tenant; key: string; u: string }> {
  h.clock.set(at);
  const t = await makeTenant(h, { users: 1 });
  const key = (await makeKey(h, t)).key;
  await subscribeAt(h, t, [t.userIds[0]!], "pro", at);
  return { t, key, u: t.userIds[0]! };
}

describe("usage_events by month: the scheduler's partitions, and idempotency across them", () => {
  it("creates the current month's partition and the next two, once (the clock's move runs it as the worker does)", async () => {
    const now = new Date("2033-03-31T23:50:00Z");
    // (On PostgreSQL the database may hold the partitions of an earlier run of this file: only this run's are counted.)
    const had = await partitionNames();
    const first = await usagePartitionsJob.run(h.database.db, now, { catalog: defaultCatalog });
    const after = await partitionNames();
    expect(after).toEqual(expect.arrayContaining(["usage_events_default", "usage_events_2033_03", "usage_events_2033_04", "usage_events_2033_05"]));
    const made = after.filter((n) => !had.includes(n));
    expect(made.every((n) => ["usage_events_2033_03", "usage_events_2033_04", "usage_events_2033_05"].includes(n))).toBe(true);
    expect(first).toEqual({ created: made.length, inDefault: 0, archivedPartitions: 0, archivedDefaultEvents: 0, archivedKeys: 0 });
    expect(await usagePartitionsJob.run(h.database.db, now, { catalog: defaultCatalog })).toEqual({ created: 0, inDefault: 0, archivedPartitions: 0, archivedDefaultEvents: 0, archivedKeys: 0 });

    // The test clock's move runs the scheduled jobs at each step: the month after next is made on the way.
    const { t } = await subscribedTenant(now);
    await callerAs(h, t.admins.owner).clock.advance({ to: "2033-04-02T00:00:00Z" });
    expect(await partitionNames()).toContain("usage_events_2033_06");
  });

  it("events on both sides of a month boundary land in their months; retries across it answer the first result and debit once", async () => {
    const { t, key, u } = await subscribedTenant(new Date("2033-03-31T23:50:00Z"));
    const event = (idempotencyKey: string, occurredAt: string, credits = 2) => ({ userId: u, credits, client: "ide", occurredAt, idempotencyKey });
    const march = event("edge-1", "2033-03-31T23:55:00.000Z", 5);
    const firstOfApril = event("edge-2", "2033-04-01T00:00:00.000Z", 3);
    const lateMarch = event("edge-3", "2033-03-31T23:59:59.999Z", 7);

    const a = await post<Recorded>(key, "usage.record", march);
    expect([a.status, a.data?.state.periodId, a.data?.replayed]).toEqual([200, "2033-03", false]);
    // Inside March's grace window: April's first instant is April's (edge case 1), a late event is March's.
    h.clock.set(new Date("2033-04-01T00:05:00Z"));
    const b = await post<Recorded>(key, "usage.record", firstOfApril);
    const c = await post<{ results: Recorded[] }>(key, "usage.recordBatch", { events: [lateMarch, march] });
    expect([b.status, b.data?.state.periodId, b.data?.replayed]).toEqual([200, "2033-04", false]);
    expect(c.status).toBe(200);
    expect(c.data!.results.map((r) => [r.idempotencyKey, r.state.periodId, r.replayed])).toEqual([
      ["edge-3", "2033-03", false],
      ["edge-1", "2033-03", true],
    ]);
    expect(c.data!.results[1]).toEqual({ ...a.data!, replayed: true });

    // In April, past March's grace window and after its close: every retry answers its first result.
    expect(await closeDue(h.database.db, defaultCatalog, new Date("2033-04-01T00:20:00Z"), { accountId: t.accountId })).toMatchObject({ closed: 1, failed: 0 });
    h.clock.set(new Date("2033-04-10T12:00:00Z"));
    const firstLate = c.data!.results[0]!;
    for (const [body, first] of [
      [march, a.data!],
      [firstOfApril, b.data!],
      [lateMarch, firstLate],
    ] as const) {
      const again = await post<Recorded>(key, "usage.record", body);
      expect([again.status, again.data]).toEqual([200, { ...first, replayed: true }]);
    }
    const batch = await post<{ results: Recorded[] }>(key, "usage.recordBatch", { events: [firstOfApril, march, lateMarch] });
    expect(batch.data?.results).toEqual([b.data!, a.data!, firstLate].map((r) => ({ ...r, replayed: true })));
    // The same key with another body is another event: refused, in whichever month it says it occurred.
    expect(refused(await post(key, "usage.record", { ...march, occurredAt: "2033-04-10T11:00:00.000Z" }))).toEqual({
      status: 409,
      domainCode: "idempotency-conflict",
      message: 'idempotencyKey: "edge-1" was already used for another event (its occurredAt differs)',
    });

    expect(await placement(t)).toEqual({ "edge-1": "usage_events_2033_03", "edge-2": "usage_events_2033_04", "edge-3": "usage_events_2033_03" });
    expect(await ledgers(t)).toEqual([
      { period: "2033-03", user_id: u, included_cc: 1200, overage_cc: 0, unbilled_cc: 0 },
      { period: "2033-04", user_id: u, included_cc: 300, overage_cc: 0, unbilled_cc: 0 },
    ]);
    const [keys] = rowsOf<{ n: number | string }>(await h.database.db.execute(sql`select count(*) as n from usage_keys where account_id = ${t.accountId}::uuid`));
    expect(Number(keys!.n)).toBe(3);
  });

  it("an event of a month without a partition goes to the default one, and that month is left there", async () => {
    const { t, key, u } = await subscribedTenant(new Date("2034-07-15T12:00:00Z"));
    const res = await post<Recorded>(key, "usage.record", { userId: u, credits: 1, client: "cli", occurredAt: "2034-07-15T12:00:00.000Z", idempotencyKey: "stray" });
    expect(res.status).toBe(200);
    expect(await placement(t)).toEqual({ stray: "usage_events_default" });
    const run = await usagePartitionsJob.run(h.database.db, new Date("2034-07-15T12:00:00Z"), { catalog: defaultCatalog });
    expect(run).toMatchObject({ inDefault: 1 });
    expect(await partitionNames()).toEqual(expect.arrayContaining(["usage_events_2034_08", "usage_events_2034_09"]));
    expect(await partitionNames()).not.toContain("usage_events_2034_07");
    expect((await post<Recorded>(key, "usage.record", { userId: u, credits: 1, client: "cli", occurredAt: "2034-07-15T12:00:00.000Z", idempotencyKey: "stray" })).data?.replayed).toBe(true);
  });
});

// Only PostgreSQL can hold an insert while another session attaches a partition (PGlite has one connection).
const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  describe("a month's partition attached while its first event is being written, on PostgreSQL", () => {
    it("the event routed to the default partition before the attach is written again into the new partition, once", async () => {
      // A month nobody has used on this database (an earlier run of this file took the one before).
      let year = 2040;
      for (; ; year++) {
        const [row] = rowsOf<{ free: boolean }>(
          await h.database.db.execute(sql`select to_regclass(${`public.usage_events_${year}_03`}) is null
            and not exists (select 1 from usage_events_default where occurred_at >= ${`${year}-03-01T00:00:00Z`}::timestamptz and occurred_at < ${`${year}-04-01T00:00:00Z`}::timestamptz) as free`),
        );
        if (row!.free) break;
      }
      const { t, key, u } = await subscribedTenant(new Date(`${year}-03-10T12:00:00Z`));
      const ddl = postgres(pgUrl, { max: 1, onnotice: () => {} });
      try {
        const name = `usage_events_${year}_03`;
        const { request } = await ddl.begin(async (tx) => {
          // What the scheduler's ATTACH holds while it checks the default partition: inserts routed there wait.
          await tx.unsafe("lock table usage_events_default in access exclusive mode");
          const request = post<Recorded>(key, "usage.record", { userId: u, credits: 3, client: "ide", occurredAt: `${year}-03-10T12:00:00.000Z`, idempotencyKey: "raced" });
          for (let waited = 0; ; waited += 20) {
            const [w] = await tx.unsafe<{ n: number }[]>("select count(*)::int as n from pg_locks where relation = 'usage_events_default'::regclass and not granted");
            if (w!.n > 0) break;
            if (waited > 10_000) throw new Error("the insert never reached the default partition");
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await tx.unsafe(`create table "${name}" (like usage_events including defaults)`);
          await tx.unsafe(`alter table usage_events attach partition "${name}" for values from ('${year}-03-01T00:00:00Z') to ('${year}-04-01T00:00:00Z')`);
          // Not awaited here: the request finishes only once this transaction commits.
          return { request };
        });
        const recorded = await request;
        expect([recorded.status, recorded.data?.replayed, recorded.data?.includedCc]).toEqual([200, false, 300]);
        expect(await placement(t)).toEqual({ raced: name });
        expect(await ledgers(t)).toEqual([{ period: `${year}-03`, user_id: u, included_cc: 300, overage_cc: 0, unbilled_cc: 0 }]);
      } finally {
        await ddl.end({ timeout: 5 });
      }
    });
  });
}

describe("usage retention: months past it are detached into the archive schema", () => {
  it("moves the default partition's events of the archived months, with their keys", async () => {
    for (const { name } of rowsOf<{ name: string }>(
      await h.database.db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'archive' and table_name ~ '^usage_(events|keys)_default_before_2018_'`),
    )) {
      await h.database.db.execute(sql.raw(`drop table archive."${name}"`));
    }
    // No scheduler ran in May 2018: the month's events went to the default partition.
    const { t, key, u } = await subscribedTenant(new Date("2018-05-10T12:00:00Z"));
    const may = { userId: u, credits: 4, client: "ide", occurredAt: "2018-05-10T12:00:00.000Z", idempotencyKey: "may-1" };
    expect((await post<Recorded>(key, "usage.record", may)).status).toBe(200);
    const june = { ...may, occurredAt: "2018-06-10T12:00:00.000Z", idempotencyKey: "june-1" };
    h.clock.set(new Date("2018-06-10T12:00:00Z"));
    expect((await post<Recorded>(key, "usage.record", june)).status).toBe(200);
    expect(await placement(t)).toEqual({ "june-1": "usage_events_default", "may-1": "usage_events_default" });

    const run = await usagePartitionsJob.run(h.database.db, new Date("2018-07-01T00:20:00Z"), { catalog: defaultCatalog, usageRetentionMonths: 1 });
    expect(run).toMatchObject({ archivedPartitions: 0, archivedDefaultEvents: 1, archivedKeys: 1 });
    expect(await placement(t)).toEqual({ "june-1": "usage_events_default" });
    const [moved] = rowsOf<{ events: string; keys: string }>(
      await h.database.db.execute(sql`select (select string_agg(idempotency_key, ',') from archive.usage_events_default_before_2018_06 where account_id = ${t.accountId}::uuid) as events,
        (select string_agg(idempotency_key, ',') from archive.usage_keys_default_before_2018_06 where account_id = ${t.accountId}::uuid) as keys`),
    );
    expect(moved).toEqual({ events: "may-1", keys: "may-1" });
    const [live] = rowsOf<{ n: number | string }>(await h.database.db.execute(sql`select count(*) as n from usage_keys where account_id = ${t.accountId}::uuid`));
    expect(Number(live!.n)).toBe(1);
  });

  it("archives January and February with their keys; ledgers and invoices do not change; a retry of an archived event is refused, never debited", async () => {
    // What an operator does with an archive once dumped (an earlier run of this file on the same database left one).
    const leftovers = rowsOf<{ name: string }>(
      await h.database.db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'archive' and table_name ~ '^usage_(events|keys)_2019_'`),
    );
    for (const { name } of leftovers) await h.database.db.execute(sql.raw(`drop table archive."${name}"`));
    const { t, key, u } = await subscribedTenant(new Date("2019-01-10T12:00:00Z"));
    await usagePartitionsJob.run(h.database.db, new Date("2019-01-10T12:00:00Z"), { catalog: defaultCatalog });
    const event = (idempotencyKey: string, occurredAt: string, credits: number) => ({ userId: u, credits, client: "ide", occurredAt, idempotencyKey });
    const recordAt = async (now: string, e: ReturnType<typeof event>) => {
      h.clock.set(new Date(now));
      const res = await post<Recorded>(key, "usage.record", e);
      expect(res.status).toBe(200);
      return res.data!;
    };
    await recordAt("2019-01-10T12:00:00Z", event("jan-1", "2019-01-10T12:00:00.000Z", 10));
    await recordAt("2019-01-20T12:00:00Z", event("jan-2", "2019-01-20T12:00:00.000Z", 20));
    await recordAt("2019-02-05T12:00:00Z", event("feb-1", "2019-02-05T12:00:00.000Z", 30));
    const march = event("mar-1", "2019-03-05T12:00:00.000Z", 40);
    const marchFirst = await recordAt("2019-03-05T12:00:00Z", march);
    // The worker's run at the start of April: the months close, then retention of one month archives Jan and Feb.
    await closeDue(h.database.db, defaultCatalog, new Date("2019-04-01T00:20:00Z"), { accountId: t.accountId });
    const admin = callerAs(h, t.admins.admin);
    const invoices = async () => {
      const list = await admin.billing.invoices({ profileId: t.profileId });
      return { list, lines: await Promise.all(list.invoices.map((i) => admin.billing.invoice({ profileId: t.profileId, period: i.periodId }))) };
    };
    const before = { ledgers: await ledgers(t), invoices: await invoices() };
    expect(before.invoices.list.invoices.map((i) => i.periodId)).toEqual(["2019-03", "2019-02", "2019-01"]);
    expect(await placement(t)).toEqual({ "feb-1": "usage_events_2019_02", "jan-1": "usage_events_2019_01", "jan-2": "usage_events_2019_01", "mar-1": "usage_events_2019_03" });

    h.clock.set(new Date("2019-04-01T00:20:00Z"));
    const run = await usagePartitionsJob.run(h.database.db, new Date("2019-04-01T00:20:00Z"), { catalog: defaultCatalog, usageRetentionMonths: 1 });
    // (Earlier months' leftovers of this file, such as 2018's partitions, go too.)
    expect(run.archivedPartitions).toBeGreaterThanOrEqual(2);
    expect(run.archivedKeys).toBeGreaterThanOrEqual(3);
    expect(await placement(t)).toEqual({ "mar-1": "usage_events_2019_03" });
    expect(await partitionNames()).not.toEqual(expect.arrayContaining(["usage_events_2019_01"]));
    const archived = rowsOf<{ name: string }>(
      await h.database.db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'archive' and table_name like '%2019_0%' order by 1`),
    ).map((r) => r.name);
    expect(archived).toEqual(expect.arrayContaining(["usage_events_2019_01", "usage_events_2019_02", "usage_keys_2019_01", "usage_keys_2019_02"]));
    const [kept] = rowsOf<{ events: number | string; keys: number | string }>(
      await h.database.db.execute(sql`select (select count(*) from archive.usage_events_2019_01 where account_id = ${t.accountId}::uuid) as events,
        (select count(*) from archive.usage_keys_2019_01 where account_id = ${t.accountId}::uuid) as keys`),
    );
    expect([Number(kept!.events), Number(kept!.keys)]).toEqual([2, 2]);

    expect({ ledgers: await ledgers(t), invoices: await invoices() }).toEqual(before);
    // A retry of an archived event: its period is closed and its key is gone, so it is refused as any late event, and nothing is recorded.
    const retry = await post(key, "usage.record", event("jan-1", "2019-01-10T12:00:00.000Z", 10));
    expect(refused(retry)).toMatchObject({ status: 412, domainCode: "period-closed" });
    expect(await placement(t)).toEqual({ "mar-1": "usage_events_2019_03" });
    // A month still kept answers its retries as before.
    expect((await post<Recorded>(key, "usage.record", march)).data).toEqual({ ...marchFirst, replayed: true });
    // The next run finds nothing more to archive.
    expect(await usagePartitionsJob.run(h.database.db, new Date("2019-04-01T00:30:00Z"), { catalog: defaultCatalog, usageRetentionMonths: 1 })).toMatchObject({
      archivedPartitions: 0,
      archivedKeys: 0,
    });
  });
});
