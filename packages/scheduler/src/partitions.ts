import { sql } from "drizzle-orm";
import { firstRetainedPeriod, nextPeriod, periodOf, type Period } from "@seatdesk/domain";
import { rowsOf, type Db, type Tx } from "@seatdesk/db";
import type { ScheduledJob } from "./jobs";

/**
 * usage_events is partitioned by month (migration 0018): `usage_events_YYYY_MM` for each UTC month, a
 * `usage_events_default` partition for any instant no month covers, and, after migrating a database that held
 * events, `usage_events_legacy` for every instant before the month it ends with.
 */

/** Months created ahead of the current one: a worker stopped for less than this never lets a month start without its partition. */
export const usageMonthsAhead = 2;

/** One job run at a time over the partitions (two workers, or a worker and a server, may run it together). */
const partitionLockKey = 7_318_220_411;
/**
 * How long a step waits for a lock before the run gives up (it is tried again on the next run): an ATTACH waits
 * for the default partition and a DETACH for the whole table, and every query behind such a wait waits too.
 */
const lockTimeout = "3s";

type PartitionRow = {
  name: string;
  /** Epoch milliseconds; null: MINVALUE (the legacy partition). */
  lower: number | string | null;
  upper: number | string | null;
  is_default: boolean;
};

/** The partitions of usage_events with their bounds (printed with their offset by PostgreSQL, read back as instants there). */
async function partitionsOf(tx: Tx): Promise<{ name: string; lower: Date | null; upper: Date | null; isDefault: boolean }[]> {
  const rows = rowsOf<PartitionRow>(
    await tx.execute(sql`
      select c.relname as name, b.bound = 'DEFAULT' as is_default,
        (extract(epoch from (regexp_match(b.bound, 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz) * 1000)::float8 as lower,
        (extract(epoch from (regexp_match(b.bound, 'TO \\(''([^'']+)''\\)'))[1]::timestamptz) * 1000)::float8 as upper
      from pg_inherits i join pg_class c on c.oid = i.inhrelid cross join lateral (select pg_get_expr(c.relpartbound, c.oid) as bound) b
      where i.inhparent = 'public.usage_events'::regclass`),
  );
  const instant = (v: number | string | null) => (v === null ? null : new Date(Number(v)));
  return rows.map((r) => ({ name: r.name, lower: instant(r.lower), upper: instant(r.upper), isDefault: r.is_default }));
}

/** `base`, or `base_2`, `base_3`, … when the archive already holds a table of that name (a month archived before, then written again). */
async function freeArchiveName(tx: Tx, base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    const [row] = rowsOf<{ taken: boolean }>(await tx.execute(sql`select to_regclass(${`archive.${name}`}) is not null as taken`));
    if (!row!.taken) return name;
  }
}

const monthName = (p: Period) => `usage_events_${p.id.replace("-", "_")}`;
const ident = (name: string) => {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a table name of ours: ${name}`);
  return sql.raw(`"${name}"`);
};
const instantSql = (d: Date) => sql.raw(`'${d.toISOString()}'`);

async function lockPartitions(tx: Tx) {
  await tx.execute(sql`select pg_advisory_xact_lock(${partitionLockKey})`);
  await tx.execute(sql.raw(`set local lock_timeout = '${lockTimeout}'`));
}

/**
 * Creates the partitions of the current month and the `usageMonthsAhead` months after it that no partition
 * covers yet. Each is a plain table attached to usage_events (ATTACH locks the parent only against other
 * DDL, so the usage path goes on; CREATE TABLE … PARTITION OF would lock it against everything), each in a
 * transaction of its own. A month whose events already went to the default partition (no worker ran before
 * it started) stays there: moving them out would stop that month's inserts for as long as the move takes.
 */
export async function createUsagePartitions(db: Db, now: Date): Promise<{ created: number; inDefault: number }> {
  const counts = { created: 0, inDefault: 0 };
  let period = periodOf(now);
  for (let i = 0; i <= usageMonthsAhead; i++, period = nextPeriod(period)) {
    const month = period;
    const outcome = await db.transaction(async (tx) => {
      await lockPartitions(tx);
      const parts = await partitionsOf(tx);
      const covered = parts.some(
        (p) => !p.isDefault && (p.lower === null || p.lower.getTime() < month.end.getTime()) && (p.upper === null || p.upper.getTime() > month.start.getTime()),
      );
      if (covered) return "covered" as const;
      const [taken] = rowsOf<{ taken: boolean; used: boolean }>(
        await tx.execute(sql`select to_regclass(${`public.${monthName(month)}`}) is not null as taken,
          exists (select 1 from usage_events_default where occurred_at >= ${month.start.toISOString()}::timestamptz and occurred_at < ${month.end.toISOString()}::timestamptz) as used`),
      );
      if (taken!.used) return "in-default" as const;
      if (taken!.taken) return "covered" as const;
      const name = ident(monthName(month));
      await tx.execute(sql`create table ${name} (like usage_events including defaults)`);
      // The empty table is checked in no time; the default partition is read once to prove it holds nothing of the month.
      await tx.execute(sql`alter table usage_events attach partition ${name} for values from (${instantSql(month.start)}) to (${instantSql(month.end)})`);
      return "created" as const;
    });
    if (outcome === "created") counts.created++;
    if (outcome === "in-default") counts.inDefault++;
  }
  return counts;
}

/**
 * Archives the events of the periods before `firstKept` (usage retention): each partition that ends by then is
 * detached and moved, as it is, to the `archive` schema (`archive.usage_events_2026_01`); the default
 * partition's events of those periods move to `archive.usage_events_default_before_YYYY_MM`. The idempotency
 * keys of the archived events move beside them (`archive.usage_keys_…`), so an operator dumps and drops the
 * pair. A retry of an archived event is then refused as its period's (closed) events are; nothing is debited
 * again. Ledgers, profile months and invoices are not touched. All in one transaction.
 */
export async function archiveUsage(db: Db, firstKept: Period): Promise<{ archivedPartitions: number; archivedDefaultEvents: number; archivedKeys: number }> {
  return db.transaction(async (tx) => {
    await lockPartitions(tx);
    const cutoff = firstKept.start;
    const counts = { archivedPartitions: 0, archivedDefaultEvents: 0, archivedKeys: 0 };
    const moveKeys = async (events: string) => {
      const keys = ident(events.replace(/^usage_events_/, "usage_keys_"));
      await tx.execute(sql`create table if not exists archive.${keys} (like usage_keys including defaults including indexes)`);
      const [moved] = rowsOf<{ n: number | string }>(
        await tx.execute(sql`with moved as (
            delete from usage_keys k using archive.${ident(events)} e
            where k.account_id = e.account_id and k.profile_id = e.profile_id and k.idempotency_key = e.idempotency_key
            returning k.account_id, k.profile_id, k.idempotency_key, k.user_id, k.client, k.credits_cc, k.occurred_at, k.result),
          ins as (insert into archive.${keys} (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result) select * from moved returning 1)
          select count(*) as n from ins`),
      );
      counts.archivedKeys += Number(moved!.n);
    };
    for (const p of await partitionsOf(tx)) {
      if (p.isDefault || p.upper === null || p.upper.getTime() > cutoff.getTime()) continue;
      const archived = await freeArchiveName(tx, p.name);
      await tx.execute(sql`alter table usage_events detach partition ${ident(p.name)}`);
      if (archived !== p.name) {
        await tx.execute(sql`alter table ${ident(p.name)} rename to ${ident(archived)}`);
        // Index names are the schema's: the archive may hold the month's earlier index under its name.
        const indexes = rowsOf<{ name: string; primary: boolean }>(
          await tx.execute(sql`select c.relname as name, x.indisprimary as primary from pg_index x join pg_class c on c.oid = x.indexrelid
            where x.indrelid = ${`public.${archived}`}::regclass order by x.indisprimary desc, c.relname`),
        );
        for (const [i, index] of indexes.entries()) {
          await tx.execute(sql`alter index ${ident(index.name)} rename to ${ident(index.primary ? `${archived}_pkey` : `${archived}_idx${i}`)}`);
        }
      }
      await tx.execute(sql`alter table ${ident(archived)} set schema archive`);
      counts.archivedPartitions++;
      await moveKeys(archived);
    }
    const [old] = rowsOf<{ any: boolean }>(await tx.execute(sql`select exists (select 1 from usage_events_default where occurred_at < ${cutoff.toISOString()}::timestamptz) as any`));
    if (old!.any) {
      const events = `usage_events_default_before_${firstKept.id.replace("-", "_")}`;
      await tx.execute(sql`create table if not exists archive.${ident(events)} (like usage_events including defaults including indexes)`);
      const columns = sql.raw("account_id, profile_id, id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at");
      const [moved] = rowsOf<{ n: number | string }>(
        await tx.execute(sql`with moved as (delete from usage_events_default where occurred_at < ${cutoff.toISOString()}::timestamptz returning ${columns}),
          ins as (insert into archive.${ident(events)} (${columns}) select * from moved returning 1)
          select count(*) as n from ins`),
      );
      counts.archivedDefaultEvents += Number(moved!.n);
      await moveKeys(events);
    }
    return counts;
  });
}

/**
 * The usage partitions' upkeep on every scheduler run: the coming months' partitions, then, when a retention
 * is set (SEATDESK_USAGE_RETENTION_MONTHS), the archiving of the months past it. Runs over the whole
 * database whatever account the run is for: partitions are shared by every tenant.
 */
export const usagePartitionsJob: ScheduledJob = {
  name: "usagePartitions",
  async run(db, now, options) {
    const created = await createUsagePartitions(db, now);
    const months = options.usageRetentionMonths ?? 0;
    const archived = months > 0 ? await archiveUsage(db, firstRetainedPeriod(now, months)) : { archivedPartitions: 0, archivedDefaultEvents: 0, archivedKeys: 0 };
    return { ...created, ...archived };
  },
};
