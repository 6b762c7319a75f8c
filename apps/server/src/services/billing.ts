import { and, eq, sql } from "drizzle-orm";
import { budgetStatus, type BudgetStatus, type Catalog, type InvoiceLine, type Period, type TierId } from "@seatdesk/domain";
import { invoiceLines, invoices, profileMonths, type Db, type Executor, type Tx } from "@seatdesk/db";
import { billPeriod } from "@seatdesk/scheduler";

/**
 * Runs read-only queries on one consistent snapshot, so figures computed from several queries (subscriptions
 * and ledgers, counts and sums) never mix states from before and after a concurrent change.
 */
export function inSnapshot<T>(db: Db, read: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(read, { isolationLevel: "repeatable read", accessMode: "read only" });
}

export interface ProfileBilling {
  accountId: string;
  id: string;
  budgetCents: number | null;
}

/** One user's line of a bill, with who they are (the domain's line knows only the user id). */
export interface BillLine extends Omit<InvoiceLine, "periodId"> {
  displayName: string;
  email: string;
}

/** Overage the profile's budget has counted in a period (profile_months); 0 before any. */
export async function loadBudgetUsedCc(db: Executor, profile: { accountId: string; id: string }, period: Period): Promise<number> {
  const [row] = await db
    .select({ overageCc: profileMonths.overageCc })
    .from(profileMonths)
    .where(and(eq(profileMonths.accountId, profile.accountId), eq(profileMonths.profileId, profile.id), eq(profileMonths.period, period.id)));
  return row?.overageCc ?? 0;
}

/** Name order (by code unit) for people reading a bill; the id breaks ties so the cursor is exact. */
const byName = (a: { displayName: string; userId: string }, b: { displayName: string; userId: string }) =>
  a.displayName < b.displayName ? -1 : a.displayName > b.displayName ? 1 : a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;

export interface Estimate {
  periodId: string;
  /** The period is still running: every figure is what it would be if the month closed now. */
  estimate: true;
  asOf: Date;
  /** Charged users (fee or overage), in name order; users who cost nothing have no line. */
  lines: BillLine[];
  /** All lines of the estimate (the page may hold fewer). */
  lineCount: number;
  nextCursor: [string, string] | null;
  /** Sums of the lines' rounded amounts, as the invoice will add them up. */
  feesCents: number;
  overageCents: number;
  totalCents: number;
  /** The period's overage money against the profile's monthly budget (the domain's budgetStatus). */
  budget: BudgetStatus;
}

/**
 * The running estimate of `period` for one profile (DESIGN.md §2, "Charges"): the scheduler's billPeriod,
 * the same computation the month close finalizes, so the invoice is the estimate at the close. Set-based:
 * two queries (and the budget's one row) whatever the number of users, then the rules in memory.
 */
export async function estimatePeriod(
  db: Executor,
  catalog: Catalog,
  profile: ProfileBilling,
  period: Period,
  now: Date,
  page: { after: [string, string] | null; limit: number },
): Promise<Estimate> {
  const [{ invoice, people, overageCc }, budgetUsedCc] = await Promise.all([billPeriod(db, catalog, profile, period), loadBudgetUsedCc(db, profile, period)]);
  const lines = invoice.lines
    .map((l): BillLine => {
      const who = people.get(l.userId)!;
      return {
        userId: l.userId,
        displayName: who.displayName,
        email: who.email,
        feeTier: l.feeTier,
        feeCents: l.feeCents,
        proration: l.proration,
        allowanceCc: l.allowanceCc,
        includedCc: l.includedCc,
        overageCc: l.overageCc,
        overageCents: l.overageCents,
        unbilledCc: l.unbilledCc,
        totalCents: l.totalCents,
      };
    })
    .sort(byName);

  const after = page.after;
  const start = after ? lines.findIndex((l) => byName(l, { displayName: after[0], userId: after[1] }) > 0) : 0;
  const rest = start < 0 ? [] : lines.slice(start);
  const shown = rest.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    periodId: period.id,
    estimate: true,
    asOf: now,
    lines: shown,
    lineCount: lines.length,
    nextCursor: rest.length > page.limit && last ? [last.displayName, last.userId] : null,
    feesCents: invoice.feesCents,
    overageCents: invoice.overageCents,
    totalCents: invoice.totalCents,
    budget: budgetStatus(catalog, { overageCc, budgetCents: profile.budgetCents, budgetUsedCc }),
  };
}

export interface InvoiceSummary {
  periodId: string;
  feesCents: number;
  overageCents: number;
  totalCents: number;
  lineCount: number;
  finalizedAt: Date;
}

const summaryColumns = {
  periodId: invoices.period,
  feesCents: invoices.feesCents,
  overageCents: invoices.overageCents,
  totalCents: invoices.totalCents,
  lineCount: invoices.lineCount,
  finalizedAt: invoices.finalizedAt,
};

/** Past invoices, newest period first, keyset on the period ("YYYY-MM" sorts in time order); uses the primary key. */
export async function listInvoices(
  db: Executor,
  profile: { accountId: string; id: string },
  page: { before: string | null; limit: number },
): Promise<{ invoices: InvoiceSummary[]; nextCursor: string | null }> {
  const rows = await db
    .select(summaryColumns)
    .from(invoices)
    .where(
      and(
        eq(invoices.accountId, profile.accountId),
        eq(invoices.profileId, profile.id),
        page.before ? sql`${invoices.period} < ${page.before}` : undefined,
      ),
    )
    .orderBy(sql`${invoices.period} desc`)
    .limit(page.limit + 1);
  const shown = rows.slice(0, page.limit);
  return { invoices: shown, nextCursor: rows.length > page.limit ? (shown.at(-1)?.periodId ?? null) : null };
}

export interface StoredInvoiceLine {
  userId: string;
  displayName: string;
  email: string;
  feeTier: TierId;
  feeCents: number;
  proration: { days: number; daysInMonth: number } | null;
  allowanceCc: number;
  includedCc: number;
  overageCc: number;
  overageCents: number;
  unbilledCc: number;
  totalCents: number;
}

/** One finalized invoice with a page of its lines in name order (as written at the close); null when there is none. */
export async function loadInvoice(
  db: Executor,
  profile: { accountId: string; id: string },
  periodId: string,
  page: { after: [string, string] | null; limit: number },
): Promise<(InvoiceSummary & { lines: StoredInvoiceLine[]; nextCursor: [string, string] | null }) | null> {
  const [head] = await db
    .select(summaryColumns)
    .from(invoices)
    .where(and(eq(invoices.accountId, profile.accountId), eq(invoices.profileId, profile.id), eq(invoices.period, periodId)));
  if (!head) return null;
  const rows = await db
    .select()
    .from(invoiceLines)
    .where(
      and(
        eq(invoiceLines.accountId, profile.accountId),
        eq(invoiceLines.profileId, profile.id),
        eq(invoiceLines.period, periodId),
        page.after ? sql`(${invoiceLines.userDisplayName}, ${invoiceLines.userId}) > (${page.after[0]}, ${page.after[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(invoiceLines.userDisplayName, invoiceLines.userId)
    .limit(page.limit + 1);
  const lines = rows.slice(0, page.limit).map(
    (r): StoredInvoiceLine => ({
      userId: r.userId,
      displayName: r.userDisplayName,
      email: r.userEmail,
      feeTier: r.feeTier,
      feeCents: r.feeCents,
      proration: r.prorationDays !== null && r.prorationDaysInMonth !== null ? { days: r.prorationDays, daysInMonth: r.prorationDaysInMonth } : null,
      allowanceCc: r.allowanceCc,
      includedCc: r.includedCc,
      overageCc: r.overageCc,
      overageCents: r.overageCents,
      unbilledCc: r.unbilledCc,
      totalCents: r.totalCents,
    }),
  );
  const last = lines.at(-1);
  return { ...head, lines, nextCursor: rows.length > page.limit && last ? [last.displayName, last.userId] : null };
}
