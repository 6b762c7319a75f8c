import { sql } from "drizzle-orm";
import { defaultGraceMs, lastClosablePeriod, nextPeriod, nextToClose, trendGroupsOf, type Catalog, type Period } from "@seatdesk/domain";
import { closeLockKeyOf, endedWithin, instantOf, rowsOf, subscriptionColumns, uuidArray, writeDownScheduledChanges, type Db, type Tx } from "@seatdesk/db";
import { billPeriods, type PeriodBill } from "./bill";
import { failpoint } from "./failpoint";

/** Profiles closed in one transaction: a few statements for all of them instead of a dozen each. */
const defaultBatchSize = 50;
/** Lines are written this many at a time (one JSON parameter each). */
const lineChunk = 5_000;

export type CloseOutcome =
  | { kind: "closed"; periodId: string; lines: number; totalCents: number; downgrades: number; ended: number }
  /**
   * Not closed by this call: another worker holds the profile (`locked`), its period has an invoice
   * already, it is caught up (`not-due`), or its next period is later than the batch's (`later`: the
   * next call closes it).
   */
  | { kind: "skipped"; reason: "locked" | "already-closed" | "not-due" | "later" };

/** A profile by its key. */
export interface ProfileRef {
  accountId: string;
  id: string;
}

interface ProfileRow extends Record<string, unknown> {
  account_id: string;
  id: string;
  overages_enabled: boolean;
  created_at: string | Date;
  closed_through: string | null;
}

/**
 * Closes the next due period of each of these profiles, in one transaction (DESIGN.md §2, "Transitions
 * are effective-dated"; issue 6). The profile rows are locked FOR NO KEY UPDATE SKIP LOCKED (usage
 * transactions take KEY SHARE for their foreign keys and never wait on a close), so two workers never
 * close the same profile at once and neither waits for the other; closed_through moves one period
 * forward in the same transaction, so a period is closed exactly once, and an interrupted close leaves
 * nothing behind. Each profile's close lock (an advisory lock) is held too, so the month's late usage
 * events and changes land before the bill is read or after it, refused (apps/server's services/usage/record.ts). In the transaction:
 * - the invoices: one per profile and period, a line per charged user, totals in integer cents, from
 *   the same billPeriods the running estimate uses;
 * - the month's transitions made stored facts: scheduled downgrades whose date has come are applied
 *   (writeDownScheduledChanges, the SQL form of inForce in @seatdesk/db); subscriptions whose access ended
 *   in the month are counted and kept as history (edge case 13: never deleted; inForce already keeps them
 *   off the current list, and a check for them answers access-ended);
 * - the month-start notice of the next period (allowance reset; whether overage is on);
 * - an audit entry per profile of what the close did.
 * Set-based: about ten statements for the whole batch.
 */
export async function closeBatch(db: Db, catalog: Catalog, refs: readonly ProfileRef[], now: Date, graceMs = defaultGraceMs): Promise<Map<string, CloseOutcome>> {
  const outcomes = new Map<string, CloseOutcome>(refs.map((r) => [r.id, { kind: "skipped", reason: "locked" }]));
  if (refs.length === 0) return outcomes;
  await db.transaction(async (tx) => {
    const rows = rowsOf<ProfileRow>(
      await tx.execute(sql`
        select account_id, id, overages_enabled, created_at, closed_through from profiles
        where (account_id, id) in (select * from unnest(${uuidArray(refs.map((r) => r.accountId))}, ${uuidArray(refs.map((r) => r.id))}))
        order by id for no key update skip locked`),
    );
    const through = lastClosablePeriod(now, graceMs);
    const due = rows
      .map((r) => ({ row: r, period: nextToClose({ createdAt: instantOf(r.created_at)!, closedThrough: r.closed_through }) }))
      .filter(({ row, period }) => {
        if (period.start.getTime() <= through.start.getTime()) return true;
        outcomes.set(row.id, { kind: "skipped", reason: "not-due" });
        return false;
      });
    if (due.length === 0) return;
    // One period per transaction: the earliest any of them needs (they are almost always the same).
    const period = due.reduce((p, d) => (d.period.start.getTime() < p.start.getTime() ? d.period : p), due[0]!.period);
    const batch = due.filter((d) => d.period.id === period.id).map((d) => d.row);
    for (const d of due) if (d.period.id !== period.id) outcomes.set(d.row.id, { kind: "skipped", reason: "later" });

    // Late events for this month (usage in its grace window) finish before the bills are read; later ones see it closed.
    await tx.execute(sql`select count(pg_advisory_xact_lock(${closeLockKeyOf(sql`id`)})) from unnest(${uuidArray(batch.map((r) => r.id))}) as id`);
    const invoiced = new Set(
      rowsOf<{ profile_id: string }>(
        await tx.execute(sql`
          select profile_id from invoices where period = ${period.id}
            and (account_id, profile_id) in (select * from unnest(${uuidArray(batch.map((r) => r.account_id))}, ${uuidArray(batch.map((r) => r.id))}))`),
      ).map((r) => r.profile_id),
    );
    for (const id of invoiced) outcomes.set(id, { kind: "skipped", reason: "already-closed" });
    const closing = batch.filter((r) => !invoiced.has(r.id));
    if (closing.length === 0) return;
    const bills = await billPeriods(tx, catalog, closing.map((r) => ({ accountId: r.account_id, id: r.id })), period, { names: false });
    await writeInvoices(tx, closing, bills, period, now);

    const next = nextPeriod(period);
    const ids = uuidArray(closing.map((r) => r.id));
    const accounts = uuidArray(closing.map((r) => r.account_id));
    const scope = sql`(account_id, profile_id) in (select * from unnest(${accounts}, ${ids}))`;
    const countBy = (list: { profile_id: string }[]) => list.reduce((m, r) => m.set(r.profile_id, (m.get(r.profile_id) ?? 0) + 1), new Map<string, number>());
    // The transitions that fell due at the period's end, written down (inForce already applies them to reads).
    const downgrades = countBy(rowsOf<{ profile_id: string }>(await tx.execute(writeDownScheduledChanges(scope, next.start, now))));
    failpoint("close.after-downgrades");
    // Subscriptions whose access ended in the month: kept as history (edge case 13), counted for the audit,
    // and each user's "access ended" notice of the closed period written (once: a re-run conflicts).
    const ended = new Map(
      rowsOf<{ profile_id: string; n: number | string }>(
        await tx.execute(sql`
          with e as (
            select account_id, profile_id, user_id from subscriptions
            where ${scope} and ${endedWithin(period.start, next.start, subscriptionColumns(""))}),
          nt as (
            insert into notices (account_id, profile_id, user_id, period, kind, created_at)
            select account_id, profile_id, user_id, ${period.id}, 'access-ended', ${now.toISOString()}::timestamptz from e
            on conflict do nothing)
          select profile_id, count(*) as n from e group by profile_id`),
      ).map((r) => [r.profile_id, Number(r.n)]),
    );

    const notices = closing.map((r) => ({
      account_id: r.account_id,
      profile_id: r.id,
      detail: r.overages_enabled
        ? `Allowances are fresh for ${next.id}. Overage is on: usage beyond an allowance is billed at the overage rate, within caps and the budget.`
        : `Allowances are fresh for ${next.id}. Overage is off: a user who uses up their allowance is blocked until the next month.`,
    }));
    await tx.execute(sql`
      insert into notices (account_id, profile_id, user_id, period, kind, detail, created_at)
      select v.account_id, v.profile_id, null, ${next.id}, 'allowance-reset', v.detail, ${now.toISOString()}::timestamptz
      from json_to_recordset(${JSON.stringify(notices)}::json) as v(account_id uuid, profile_id uuid, detail text)
      on conflict do nothing`);
    const audits = closing.map((r) => {
      const { invoice } = bills.get(r.id)!;
      return {
        account_id: r.account_id,
        profile_id: r.id,
        after: {
          period: period.id,
          lines: invoice.lines.length,
          feesCents: invoice.feesCents,
          overageCents: invoice.overageCents,
          totalCents: invoice.totalCents,
          downgradesApplied: downgrades.get(r.id) ?? 0,
          subscriptionsEnded: ended.get(r.id) ?? 0,
        },
      };
    });
    await tx.execute(sql`
      insert into audit_log (account_id, at, profile_id, actor_type, actor_id, actor_label, action, target_type, target_id, before, after)
      select v.account_id, ${now.toISOString()}::timestamptz, v.profile_id, 'system', null, 'month close', 'period.close', 'invoice', ${period.id}, null, v.after
      from json_to_recordset(${JSON.stringify(audits)}::json) as v(account_id uuid, profile_id uuid, after jsonb)`);
    failpoint("close.before-commit");
    await tx.execute(sql`update profiles set closed_through = ${period.id} where ${sql`(account_id, id) in (select * from unnest(${accounts}, ${ids}))`}`);
    for (const r of closing) {
      const { invoice } = bills.get(r.id)!;
      outcomes.set(r.id, { kind: "closed", periodId: period.id, lines: invoice.lines.length, totalCents: invoice.totalCents, downgrades: downgrades.get(r.id) ?? 0, ended: ended.get(r.id) ?? 0 });
    }
  });
  return outcomes;
}

/** The invoices (one JSON parameter) and their lines (column arrays, a chunk at a time). */
async function writeInvoices(tx: Tx, closing: ProfileRow[], bills: Map<string, PeriodBill>, period: Period, now: Date) {
  const heads = closing.map((r) => {
    const { invoice, people } = bills.get(r.id)!;
    // The month's users as the overview's trends count them, so a closed month is read, never recomputed.
    const trendGroups = trendGroupsOf(Array.from(people.values(), (p) => p.ledger));
    return { account_id: r.account_id, profile_id: r.id, fees_cents: invoice.feesCents, overage_cents: invoice.overageCents, total_cents: invoice.totalCents, line_count: invoice.lines.length, trend_groups: trendGroups };
  });
  await tx.execute(sql`
    insert into invoices (account_id, profile_id, period, fees_cents, overage_cents, total_cents, line_count, finalized_at, trend_groups)
    select v.account_id, v.profile_id, ${period.id}, v.fees_cents, v.overage_cents, v.total_cents, v.line_count, ${now.toISOString()}::timestamptz, v.trend_groups
    from json_to_recordset(${JSON.stringify(heads)}::json) as v(account_id uuid, profile_id uuid, fees_cents bigint, overage_cents bigint, total_cents bigint, line_count int, trend_groups jsonb)`);
  failpoint("close.after-invoice");

  // Column arrays (one parameter each, parsed by PostgreSQL's array input). Each line names its profile by its
  // place in `closing` (1-based), not by two uuids: half the bytes to send and parse. Names are read from the
  // directory by key, one index probe per line: as a join, the planner (which cannot count the rows of an
  // unnest) hashed the whole directory for each batch (bench:close, 100,000 subscriptions: 123 → 71 ms a batch).
  const columns = { profile: [] as number[], user: [] as string[], tier: [] as string[], fee: [] as number[], days: [] as (number | "NULL")[], daysIn: [] as (number | "NULL")[], allowance: [] as number[], included: [] as number[], overage: [] as number[], overageCents: [] as number[], unbilled: [] as number[], total: [] as number[] };
  closing.forEach((r, i) => {
    for (const l of bills.get(r.id)!.invoice.lines) {
      if (l.feeTier === null) throw new Error(`invoice line of ${l.userId} in ${period.id} has no fee tier`);
      columns.profile.push(i + 1);
      columns.user.push(l.userId);
      columns.tier.push(l.feeTier);
      columns.fee.push(l.feeCents);
      columns.days.push(l.proration?.days ?? "NULL");
      columns.daysIn.push(l.proration?.daysInMonth ?? "NULL");
      columns.allowance.push(l.allowanceCc);
      columns.included.push(l.includedCc);
      columns.overage.push(l.overageCc);
      columns.overageCents.push(l.overageCents);
      columns.unbilled.push(l.unbilledCc);
      columns.total.push(l.totalCents);
    }
  });
  // Ids, tier names and integers only: no element needs quoting.
  const array = (values: readonly (string | number)[], type: string) => sql`${`{${values.join(",")}}`}::${sql.raw(type)}[]`;
  const profiles = sql`unnest(${uuidArray(closing.map((r) => r.account_id))}, ${uuidArray(closing.map((r) => r.id))}) with ordinality as p(account_id, profile_id, n)`;
  for (let i = 0; i < columns.user.length; i += lineChunk) {
    const part = <T,>(list: T[]) => list.slice(i, i + lineChunk);
    await tx.execute(sql`
      insert into invoice_lines (account_id, profile_id, period, user_id, user_display_name, user_email, fee_tier, fee_cents, proration_days,
        proration_days_in_month, allowance_cc, included_cc, overage_cc, overage_cents, unbilled_cc, total_cents)
      select p.account_id, p.profile_id, ${period.id}, v.user_id, u.display_name, u.email, v.fee_tier::tier, v.fee_cents, v.days, v.days_in,
        v.allowance_cc, v.included_cc, v.overage_cc, v.overage_cents, v.unbilled_cc, v.total_cents
      from unnest(${array(part(columns.profile), "int")}, ${array(part(columns.user), "uuid")}, ${array(part(columns.tier), "text")},
        ${array(part(columns.fee), "bigint")}, ${array(part(columns.days), "int")}, ${array(part(columns.daysIn), "int")}, ${array(part(columns.allowance), "bigint")},
        ${array(part(columns.included), "bigint")}, ${array(part(columns.overage), "bigint")}, ${array(part(columns.overageCents), "bigint")},
        ${array(part(columns.unbilled), "bigint")}, ${array(part(columns.total), "bigint")})
        as v(n, user_id, fee_tier, fee_cents, days, days_in, allowance_cc, included_cc, overage_cc, overage_cents, unbilled_cc, total_cents)
      join ${profiles} on p.n = v.n
      cross join lateral (select u.display_name, u.email from directory_users u where u.account_id = p.account_id and u.id = v.user_id limit 1) u`);
    failpoint("close.after-lines");
  }
}

/** Closes the next due period of one profile: closeBatch for one. */
export async function closeNext(db: Db, catalog: Catalog, profile: ProfileRef, now: Date, graceMs = defaultGraceMs): Promise<CloseOutcome> {
  return (await closeBatch(db, catalog, [profile], now, graceMs)).get(profile.id)!;
}

export interface CloseSummary {
  closed: number;
  skipped: number;
  failed: number;
  /** The first few failures, for the log: profile and message. */
  failures: { profileId: string; message: string }[];
}

export interface CloseProgress {
  done: number;
  total: number;
  perSecond: number;
}

/**
 * Closes every period that is due at `now`, for every profile, each missed month in order (a worker
 * that was down over several month ends catches up). Any number of workers may run it at once: each
 * takes profiles whose rows no one else holds (SKIP LOCKED), a batch per transaction. A batch that
 * fails is retried profile by profile, so one bad profile is counted, logged and left for the next run
 * while the others close.
 */
export async function closeDue(
  db: Db,
  catalog: Catalog,
  now: Date,
  options: {
    graceMs?: number;
    /** Only this account's profiles (the test clock closes for the account that moved it). */
    accountId?: string;
    /** Profiles per transaction (default 50). */
    batchSize?: number;
    /** Transactions at once (default 2); the database pool should have as many connections. */
    concurrency?: number;
    onProgress?: (p: CloseProgress) => void;
    progressEveryMs?: number;
    /** Once aborted, no further batch starts: the batches under way commit and the run returns (graceful shutdown). */
    signal?: AbortSignal;
    /**
     * Where in the due profiles (in id order) this run starts, as a fraction (0 ≤ start < 1), going round to
     * the beginning; default 0. Workers that start at different points each close batches of their own; at
     * the same point, both lock the same batch at once and each gets part of it (SKIP LOCKED), so both run
     * twice the transactions for the same profiles.
     */
    start?: number;
  } = {},
): Promise<CloseSummary> {
  const graceMs = options.graceMs ?? defaultGraceMs;
  const through = lastClosablePeriod(now, graceMs);
  const batchSize = Math.max(1, options.batchSize ?? defaultBatchSize);
  const summary: CloseSummary = { closed: 0, skipped: 0, failed: 0, failures: [] };
  const failed = new Set<string>();
  const due = async () =>
    rowsOf<{ account_id: string; id: string }>(
      await db.execute(sql`
        select account_id, id from profiles
        where ((closed_through is null and created_at < ${nextPeriod(through).start.toISOString()}::timestamptz) or closed_through < ${through.id})
        ${options.accountId ? sql`and account_id = ${options.accountId}::uuid` : sql``}
        order by id`),
    )
      .map((r): ProfileRef => ({ accountId: r.account_id, id: r.id }))
      .filter((r) => !failed.has(r.id));

  const started = performance.now();
  let lastReport = started;
  let total = 0;
  const tally = (outcomes: Map<string, CloseOutcome>) => {
    let moved = false;
    for (const o of outcomes.values()) {
      if (o.kind === "closed") {
        summary.closed++;
        moved = true;
      } else if (o.reason === "locked" || o.reason === "already-closed") summary.skipped++;
    }
    return moved;
  };
  const run = async (refs: ProfileRef[]): Promise<boolean> => {
    try {
      return tally(await closeBatch(db, catalog, refs, now, graceMs));
    } catch (e) {
      if (refs.length === 1) {
        summary.failed++;
        failed.add(refs[0]!.id);
        if (summary.failures.length < 10) summary.failures.push({ profileId: refs[0]!.id, message: e instanceof Error ? e.message : String(e) });
        return false;
      }
      // One of them failed the whole batch: one by one, so the others close.
      let moved = false;
      for (const ref of refs) moved = (await run([ref])) || moved;
      return moved;
    }
  };

  for (;;) {
    if (options.signal?.aborted) break;
    const ids = await due();
    if (ids.length === 0) break;
    total = Math.max(total, summary.closed + ids.length);
    const batches: ProfileRef[][] = [];
    const from = Math.min(ids.length - 1, Math.max(0, Math.floor((options.start ?? 0) * ids.length)));
    const ordered = from > 0 ? [...ids.slice(from), ...ids.slice(0, from)] : ids;
    for (let i = 0; i < ordered.length; i += batchSize) batches.push(ordered.slice(i, i + batchSize));
    let progressed = false;
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < batches.length && !options.signal?.aborted; i = next++) {
        if (await run(batches[i]!)) progressed = true;
        const t = performance.now();
        if (options.onProgress && t - lastReport >= (options.progressEveryMs ?? 5_000)) {
          lastReport = t;
          options.onProgress({ done: summary.closed, total, perSecond: summary.closed / ((t - started) / 1000) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, lane));
    // Profiles held by other workers are theirs: when nothing here moved, stop rather than spin.
    if (!progressed) break;
  }
  return summary;
}
