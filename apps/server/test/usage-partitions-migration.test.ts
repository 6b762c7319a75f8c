import { randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { defaultCatalog, periodOf } from "@seatdesk/domain";
import { connect, migrationsFolder, rowsOf, type Database } from "@seatdesk/db";
import { fixedClock } from "../src/clock";
import { silentLog } from "../src/log";
import { defaultRegions } from "../src/regions";
import type { Recorded } from "../src/services/usage";
import { makeTenant, rejection, subscribeAt, type Harness, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

/**
 * Migration 0018 on a database that already holds events in several months: a database of its own (an
 * in-memory PGlite, or a scratch database beside TEST_DATABASE_URL's), migrated through 0017, given events the
 * way 0017 stored them (with their answers), then migrated to the end.
 */
const url = process.env.TEST_DATABASE_URL;
const scratchName = `seatdesk_mig_${randomUUID().slice(0, 8)}`;
let database: Database;
let h: Harness;
let t: Tenant;
let key: string;

/** The committed migrations up to and including `lastIdx`, in a folder of their own. */
function migrationsThrough(lastIdx: number): string {
  const dir = mkdtempSync(join(tmpdir(), "seatdesk-migrations-"));
  mkdirSync(join(dir, "meta"));
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= lastIdx);
  writeFileSync(join(dir, "meta", "_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries) copyFileSync(join(migrationsFolder, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  return dir;
}

beforeAll(async () => {
  const through0017 = migrationsThrough(17);
  if (url) {
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${scratchName}`);
    await admin.end();
    const scratch = new URL(url);
    scratch.pathname = `/${scratchName}`;
    const migrator = postgres(scratch.toString(), { max: 1, onnotice: () => {} });
    await migratePostgres(drizzlePostgres(migrator), { migrationsFolder: through0017 });
    await migrator.end();
    database = await connect({ url: scratch.toString(), max: 4 });
  } else {
    database = await connect();
    await migratePglite(drizzlePglite((database.db as unknown as { $client: PGlite }).$client), { migrationsFolder: through0017 });
  }
  rmSync(through0017, { recursive: true, force: true });
  const clock = fixedClock(new Date("2026-09-01T00:00:00Z"));
  h = { database, clock, deps: { database, clock, log: silentLog, catalog: defaultCatalog, regions: defaultRegions }, close: () => database.close() };
  t = await makeTenant(h, { users: 2 });
  key = (await makeKey(h, t)).key;
  await subscribeAt(h, t, t.userIds, "pro", new Date("2026-09-01T00:00:00Z"));
}, 120_000);

afterAll(async () => {
  await database?.close();
  if (url) {
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${scratchName} with (force)`);
    await admin.end();
  }
});

/** What the usage path answered for an event (as 0017 stored it beside the event). */
const answer = (idempotencyKey: string, userId: string, creditsCc: number, occurredAt: Date) => {
  const period = periodOf(occurredAt);
  return {
    idempotencyKey,
    userId,
    includedCc: creditsCc,
    overageCc: 0,
    unbilledCc: 0,
    stoppedBy: null,
    activated: false,
    state: { periodId: period.id, periodEnd: period.end.toISOString(), allowanceCc: 100_000, usedCc: creditsCc, includedCc: creditsCc, overageCc: 0, unbilledCc: 0 },
  };
};

describe("migration 0018 on a database holding events in several months", () => {
  // Four months, two users, three events a user a month; one month is in the future of every other.
  const months = ["2026-09-15T10:00:00Z", "2026-10-15T10:00:00Z", "2026-11-30T23:59:59.999Z", "2027-02-01T00:02:00Z"];
  const seeded = months.flatMap((m, mi) =>
    [0, 1].flatMap((ui) => [0, 1, 2].map((n) => ({ key: `old-${mi}-${ui}-${n}`, user: ui, creditsCc: 100 * (mi + 1) + n, occurredAt: new Date(new Date(m).getTime() - n * 60_000) }))),
  );

  it("keeps every event readable in the old table, now a partition, and every key idempotent", async () => {
    for (const e of seeded) {
      const userId = t.userIds[e.user]!;
      await database.db.execute(sql`insert into usage_events (account_id, profile_id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at, result)
        values (${t.accountId}::uuid, ${t.profileId}::uuid, ${periodOf(e.occurredAt).id}, ${userId}::uuid, ${e.key}, 'ide', ${e.creditsCc}, ${e.creditsCc}, 0, 0,
          ${e.occurredAt.toISOString()}::timestamptz, ${e.occurredAt.toISOString()}::timestamptz, ${JSON.stringify(answer(e.key, userId, e.creditsCc, e.occurredAt))}::jsonb)`);
    }
    const byPeriod = async () =>
      rowsOf<{ period: string; n: number | string; cc: number | string }>(
        await database.db.execute(sql`select period, count(*) as n, sum(credits_cc) as cc from usage_events where account_id = ${t.accountId}::uuid group by period order by period`),
      ).map((r) => ({ period: r.period, n: Number(r.n), cc: Number(r.cc) }));
    const before = await byPeriod();
    expect(before.map((r) => [r.period, r.n])).toEqual([
      ["2026-09", 6],
      ["2026-10", 6],
      ["2026-11", 6],
      ["2027-02", 6],
    ]);

    await database.migrate();

    expect(await byPeriod()).toEqual(before);
    const parts = rowsOf<{ part: string; n: number | string }>(
      await database.db.execute(sql`select tableoid::regclass::text as part, count(*) as n from usage_events group by 1`),
    );
    expect(parts.map((p) => [p.part, Number(p.n)])).toEqual([["usage_events_legacy", seeded.length]]);
    // The old table ends with the later of its last event's month and the current month, and its key is the new one.
    const [legacy] = rowsOf<{ bound: string; pk: string }>(
      await database.db.execute(sql`select pg_get_expr(c.relpartbound, c.oid) as bound, (select pg_get_indexdef(x.indexrelid) from pg_index x where x.indrelid = c.oid and x.indisprimary) as pk
        from pg_class c where c.relname = 'usage_events_legacy'`),
    );
    expect(legacy!.bound).toMatch(/^FOR VALUES FROM \(MINVALUE\) TO \('20\d\d-\d\d-01 00:00:00\+00'\)$/);
    expect(legacy!.pk).toMatch(/\(account_id, profile_id, occurred_at, id\)$/);
    const [keys] = rowsOf<{ n: number | string }>(await database.db.execute(sql`select count(*) as n from usage_keys where account_id = ${t.accountId}::uuid`));
    expect(Number(keys!.n)).toBe(seeded.length);

    // Every seeded key answers its first result again (months later: each period closed), and nothing is added.
    h.clock.set(new Date("2027-03-10T12:00:00Z"));
    const api = callerWithKey(h, key);
    for (const e of seeded) {
      const userId = t.userIds[e.user]!;
      const body = { userId, credits: e.creditsCc / 100, client: "ide", occurredAt: e.occurredAt.toISOString(), idempotencyKey: e.key };
      expect(await api.usage.record(body)).toEqual({ ...answer(e.key, userId, e.creditsCc, e.occurredAt), replayed: true });
    }
    const batch = await api.usage.recordBatch({
      events: seeded.slice(0, 3).map((e) => ({ userId: t.userIds[e.user]!, credits: e.creditsCc / 100, client: "ide", occurredAt: e.occurredAt.toISOString(), idempotencyKey: e.key })),
    });
    expect(batch.results.map((r) => [r.idempotencyKey, r.replayed])).toEqual(seeded.slice(0, 3).map((e) => [e.key, true]));
    // Another body under a seeded key is refused; a new key is recorded once, in the current month.
    const conflict = await rejection(api.usage.record({ userId: t.userIds[0]!, credits: 9, client: "ide", occurredAt: "2027-03-10T11:00:00.000Z", idempotencyKey: seeded[0]!.key }));
    expect(conflict.code).toBe("CONFLICT");
    const fresh = { userId: t.userIds[0]!, credits: 2.5, client: "cli", occurredAt: "2027-03-10T11:00:00.000Z", idempotencyKey: "after-migration" };
    const first: Recorded = await api.usage.record(fresh);
    expect([first.replayed, first.includedCc, first.state.periodId]).toEqual([false, 250, "2027-03"]);
    expect(await api.usage.record(fresh)).toEqual({ ...first, replayed: true });
    expect((await byPeriod()).map((r) => [r.period, r.n])).toEqual([
      ["2026-09", 6],
      ["2026-10", 6],
      ["2026-11", 6],
      ["2027-02", 6],
      ["2027-03", 1],
    ]);
  }, 120_000);
});
