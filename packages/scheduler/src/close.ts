import { and, eq, lte, sql } from "drizzle-orm";
import { isPeriodClosed, nextPeriod, periodOf, defaultGraceMs, type Catalog, type Period } from "@seatdesk/domain";
import { auditLog, closeLockKey, invoiceLines, invoices, notices, profiles, rowsOf, subscriptions, type Db, type Tx } from "@seatdesk/db";
import { billPeriod } from "./bill";
import { failpoint } from "./failpoint";

/** Lines are written this many at a time, so a profile of any size stays within the driver's parameter limit. */
const lineChunk = 1_000;

/** The period before `p`. */
export function previousPeriod(p: Period): Period {
  return periodOf(new Date(p.start.getTime() - 1));
}

/** The last period whose grace window has passed at `now`: everything up to it may be closed. */
export function lastClosablePeriod(now: Date, graceMs = defaultGraceMs): Period {
  const previous = previousPeriod(periodOf(now));
  return isPeriodClosed(previous, now, graceMs) ? previous : previousPeriod(previous);
}

/** The first period a profile must close: the one after its last close, else the one it was created in. */
export function nextToClose(profile: { createdAt: Date; closedThrough: string | null }): Period {
  if (profile.closedThrough === null) return periodOf(profile.createdAt);
  const [year, month] = profile.closedThrough.split("-").map(Number) as [number, number];
  return nextPeriod(periodOf(new Date(Date.UTC(year, month - 1, 1))));
}

export type CloseOutcome =
  | { kind: "closed"; periodId: string; lines: number; totalCents: number; downgrades: number; ended: number }
  /** Another worker holds the profile, or the period was closed already. */
  | { kind: "skipped"; reason: "locked" | "already-closed" | "not-due" };

/**
 * Closes the next due period of one profile, in one transaction (DESIGN.md §2, "Transitions are
 * effective-dated"; issue 6). The profile row is locked FOR NO KEY UPDATE SKIP LOCKED, so two workers never
 * close the same profile at once and neither waits for the other; closed_through moves one period
 * forward in the same transaction, so a period is closed exactly once, and an interrupted close leaves
 * nothing behind. In the transaction:
 * - the invoice: one per profile and period, a line per charged user, totals in integer cents, from
 *   the same billPeriod the running estimate uses;
 * - the month's transitions made stored facts: scheduled downgrades whose date has come are applied,
 *   subscriptions whose access ended by the period's end leave the current list (their months stay in
 *   the ledgers and on the invoices);
 * - the month-start notice of the next period (allowance reset; whether overage is on);
 * - an audit entry of what the close did.
 */
export async function closeNext(db: Db, catalog: Catalog, profileId: string, now: Date, graceMs = defaultGraceMs): Promise<CloseOutcome> {
  return db.transaction(async (tx) => {
    // NO KEY UPDATE: usage transactions take KEY SHARE on the profile for their foreign keys, and must not wait on the close.
    const [profile] = await tx.select().from(profiles).where(eq(profiles.id, profileId)).for("no key update", { skipLocked: true });
    if (!profile) return { kind: "skipped", reason: "locked" } as const;
    const period = nextToClose(profile);
    if (period.start.getTime() > lastClosablePeriod(now, graceMs).start.getTime()) return { kind: "skipped", reason: "not-due" } as const;
    return closePeriod(tx, catalog, profile, period, now);
  });
}

async function closePeriod(tx: Tx, catalog: Catalog, profile: typeof profiles.$inferSelect, period: Period, now: Date): Promise<CloseOutcome> {
  // Late events for this month (usage in its grace window) finish before the bill is read; later ones see it closed.
  await tx.execute(sql`select pg_advisory_xact_lock(${closeLockKey(profile.id)})`);
  const [existing] = await tx
    .select({ period: invoices.period })
    .from(invoices)
    .where(and(eq(invoices.accountId, profile.accountId), eq(invoices.profileId, profile.id), eq(invoices.period, period.id)));
  if (existing) return { kind: "skipped", reason: "already-closed" };

  const bill = await billPeriod(tx, catalog, profile, period);
  const { invoice } = bill;
  await tx.insert(invoices).values({
    accountId: profile.accountId,
    profileId: profile.id,
    period: period.id,
    feesCents: invoice.feesCents,
    overageCents: invoice.overageCents,
    totalCents: invoice.totalCents,
    lineCount: invoice.lines.length,
    finalizedAt: now,
  });
  failpoint("close.after-invoice");
  for (let i = 0; i < invoice.lines.length; i += lineChunk) {
    await tx.insert(invoiceLines).values(
      invoice.lines.slice(i, i + lineChunk).map((l) => {
        const who = bill.people.get(l.userId)!;
        if (l.feeTier === null) throw new Error(`invoice line of ${l.userId} in ${period.id} has no fee tier`);
        return {
          accountId: profile.accountId,
          profileId: profile.id,
          period: period.id,
          userId: l.userId,
          userDisplayName: who.displayName,
          userEmail: who.email,
          feeTier: l.feeTier,
          feeCents: l.feeCents,
          prorationDays: l.proration?.days ?? null,
          prorationDaysInMonth: l.proration?.daysInMonth ?? null,
          allowanceCc: l.allowanceCc,
          includedCc: l.includedCc,
          overageCc: l.overageCc,
          overageCents: l.overageCents,
          unbilledCc: l.unbilledCc,
          totalCents: l.totalCents,
        };
      }),
    );
    failpoint("close.after-lines");
  }

  // The transitions that fell due at the period's end, written down (inForce already applies them to reads).
  const next = nextPeriod(period);
  const scope = and(eq(subscriptions.accountId, profile.accountId), eq(subscriptions.profileId, profile.id));
  const downgrades = rowsOf<{ user_id: string }>(
    await tx.execute(sql`
      update ${subscriptions} set tier = scheduled_tier, scheduled_tier = null, scheduled_at = null, updated_at = ${now.toISOString()}::timestamptz
      where account_id = ${profile.accountId}::uuid and profile_id = ${profile.id}::uuid
        and scheduled_tier is not null and scheduled_at <= ${next.start.toISOString()}::timestamptz
      returning user_id`),
  ).length;
  failpoint("close.after-downgrades");
  const ended = (
    await tx
      .delete(subscriptions)
      .where(and(scope, eq(subscriptions.status, "canceled"), lte(subscriptions.accessEndsAt, next.start)))
      .returning({ userId: subscriptions.userId })
  ).length;

  await tx
    .insert(notices)
    .values({
      accountId: profile.accountId,
      profileId: profile.id,
      userId: null,
      period: next.id,
      kind: "allowance-reset",
      detail: profile.overagesEnabled
        ? `Allowances are fresh for ${next.id}. Overage is on: usage beyond an allowance is billed at the overage rate, within caps and the budget.`
        : `Allowances are fresh for ${next.id}. Overage is off: a user who uses up their allowance is blocked until the next month.`,
      createdAt: now,
    })
    .onConflictDoNothing();
  await tx.insert(auditLog).values({
    accountId: profile.accountId,
    at: now,
    profileId: profile.id,
    actorType: "system",
    actorId: null,
    actorLabel: "month close",
    action: "period.close",
    targetType: "invoice",
    targetId: period.id,
    before: null,
    after: { period: period.id, lines: invoice.lines.length, feesCents: invoice.feesCents, overageCents: invoice.overageCents, totalCents: invoice.totalCents, downgradesApplied: downgrades, subscriptionsEnded: ended },
  });
  failpoint("close.before-commit");
  await tx.update(profiles).set({ closedThrough: period.id }).where(and(eq(profiles.accountId, profile.accountId), eq(profiles.id, profile.id)));
  return { kind: "closed", periodId: period.id, lines: invoice.lines.length, totalCents: invoice.totalCents, downgrades, ended };
}

export interface CloseSummary {
  closed: number;
  skipped: number;
  failed: number;
  /** The first few failures, for the log: profile, period and message. */
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
 * takes profiles whose rows no one else holds (SKIP LOCKED) and closes one period per transaction.
 * A failing profile is counted, logged and left for the next run; the others go on.
 */
export async function closeDue(
  db: Db,
  catalog: Catalog,
  now: Date,
  options: {
    graceMs?: number;
    /** Profiles closed at once (default 4); the database pool should have as many connections. */
    concurrency?: number;
    /** Only this account's profiles (the test clock closes for the account that moved it). */
    accountId?: string;
    onProgress?: (p: CloseProgress) => void;
    progressEveryMs?: number;
  } = {},
): Promise<CloseSummary> {
  const graceMs = options.graceMs ?? defaultGraceMs;
  const through = lastClosablePeriod(now, graceMs);
  const summary: CloseSummary = { closed: 0, skipped: 0, failed: 0, failures: [] };
  const due = async (exclude: string[]) =>
    rowsOf<{ id: string }>(
      await db.execute(sql`
        select id from ${profiles}
        where ((closed_through is null and created_at < ${nextPeriod(through).start.toISOString()}::timestamptz) or closed_through < ${through.id})
        ${options.accountId ? sql`and account_id = ${options.accountId}::uuid` : sql``}
        ${exclude.length ? sql`and id <> all(${`{${exclude.join(",")}}`}::uuid[])` : sql``}
        order by id`),
    ).map((r) => r.id);

  const failedProfiles: string[] = [];
  const started = performance.now();
  let lastReport = started;
  let total = 0;
  for (;;) {
    const ids = await due(failedProfiles);
    if (ids.length === 0) break;
    total = Math.max(total, summary.closed + ids.length);
    let progressed = false;
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const id = ids[i]!;
        for (;;) {
          let outcome: CloseOutcome;
          try {
            outcome = await closeNext(db, catalog, id, now, graceMs);
          } catch (e) {
            summary.failed++;
            failedProfiles.push(id);
            if (summary.failures.length < 10) summary.failures.push({ profileId: id, message: e instanceof Error ? e.message : String(e) });
            break;
          }
          if (outcome.kind === "skipped") {
            // Caught up (not-due) is the normal end of a profile's run; held elsewhere or done already is a skip.
            if (outcome.reason !== "not-due") summary.skipped++;
            break;
          }
          summary.closed++;
          progressed = true;
          const t = performance.now();
          if (options.onProgress && t - lastReport >= (options.progressEveryMs ?? 5_000)) {
            lastReport = t;
            options.onProgress({ done: summary.closed, total, perSecond: summary.closed / ((t - started) / 1000) });
          }
          if (outcome.periodId === through.id) break;
        }
      }
    };
    // A close is mostly round trips and a commit: a few profiles at once keep the database busy. Each
    // profile's months still close in order, one transaction each.
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, lane));
    // Profiles held by other workers are theirs: when nothing here moved, stop rather than spin.
    if (!progressed) break;
  }
  return summary;
}
