import type { Catalog } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import { usedOf, type MonthLedger } from "../billing/ledger";
import { periodOf, previousPeriod, type Period } from "../time/period";
import type { UsageCounters } from "../usage/split";

/** How many months the overview's trends show: the current one and the eleven before it (issue 15, "Trends"). */
export const trendMonths = 12;

/**
 * The `count` periods ending with the one `now` falls in, oldest first (edge case 1: an instant belongs to
 * one period, so at 00:00 on the 1st the window already ends with the new month).
 */
export function trendPeriods(now: Date, count = trendMonths): Period[] {
  const periods = [periodOf(now)];
  while (periods.length < count) periods.unshift(previousPeriod(periods[0]!));
  return periods;
}

/**
 * Users of one month who share the facts a trend counts, read from the month's ledgers and bill: the tier
 * that set the month's fee (the highest held while Active, DESIGN.md §2 "Charges"; null when never Active in
 * the month), whether they became Active during the month (the ledger's first activation: not Active at its
 * start), and whether they used any credits in it. Counters are summed over the group.
 */
export interface TrendGroup extends UsageCounters {
  feeTier: TierId | null;
  activatedInMonth: boolean;
  usedCredits: boolean;
  users: number;
}

/**
 * One user's month as a trend group, from the domain's ledger of that month: the fee tier it holds, its first
 * activation, and its counters.
 */
export function trendGroupOf(ledger: MonthLedger): TrendGroup {
  return {
    feeTier: ledger.feeTier,
    activatedInMonth: ledger.firstActivatedAt !== null,
    usedCredits: usedOf(ledger) > 0,
    users: 1,
    includedCc: ledger.includedCc,
    overageCc: ledger.overageCc,
    unbilledCc: ledger.unbilledCc,
  };
}

/**
 * A month's users as trend groups: trendGroupOf of each ledger, users sharing fee tier, first activation and
 * credits used summed into one group (a handful per month however many users). The month close stores them
 * with the invoice, so a closed month's trend is read, not recomputed.
 */
export function trendGroupsOf(ledgers: Iterable<MonthLedger>): TrendGroup[] {
  const groups = new Map<string, TrendGroup>();
  for (const ledger of ledgers) {
    const one = trendGroupOf(ledger);
    const key = `${one.feeTier ?? ""}|${one.activatedInMonth}|${one.usedCredits}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, one);
      continue;
    }
    group.users += 1;
    group.includedCc += one.includedCc;
    group.overageCc += one.overageCc;
    group.unbilledCc += one.unbilledCc;
  }
  return [...groups.values()];
}

/** Where a month's figures come from: its finalized invoice, the running estimate (not closed yet), or nothing (before the profile existed). */
export type TrendSource = "invoice" | "estimate" | "none";

export interface TrendTierSeats {
  tier: TierId;
  /** Seats Active in the month at this fee tier: every one is charged for the month (DESIGN.md §2). */
  total: number;
  /** … of which Active at 00:00 on the 1st (carried over from the month before). */
  activeAtStart: number;
  /** … of which became Active during the month (first paid month, or activated again after an end). */
  activatedInMonth: number;
}

export interface TrendMonth {
  periodId: string;
  source: TrendSource;
  /** Seats Active in the month, by the tier that set their fee, in the catalog's rank order. */
  seats: { total: number; activeAtStart: number; activatedInMonth: number; byTier: TrendTierSeats[] };
  /** Users who used credits in the month or became Active in it (see isActiveUserInMonth). */
  activeUsers: number;
  credits: UsageCounters & { usedCc: number };
  /** The invoice's sums of rounded lines (or the estimate's, as the close would write them). */
  money: { feesCents: number; overageCents: number; totalCents: number };
}

/**
 * A user counts as active in a month when the month's ledger shows credits used or a first activation (a
 * sign-in or first use, DESIGN.md §2 "Statuses"). Sign-ins of a user already Active leave no trace in a
 * ledger, so a month's count is a floor for people who signed in without using credits.
 */
export function isActiveUserInMonth(group: Pick<TrendGroup, "usedCredits" | "activatedInMonth">): boolean {
  return group.usedCredits || group.activatedInMonth;
}

/**
 * One month of the trends (issue 15, "Trends") from its groups and its bill's money. A seat of the month is a
 * user with a fee tier: Active at some point in the month, hence charged for it; its status in the month is
 * "Active at the start" or "activated in the month".
 */
export function trendMonth(
  catalog: Catalog,
  periodId: string,
  source: TrendSource,
  groups: readonly TrendGroup[],
  money: TrendMonth["money"],
): TrendMonth {
  const byTier = new Map<TierId, TrendTierSeats>(catalog.tiers.map((t) => [t.id, { tier: t.id, total: 0, activeAtStart: 0, activatedInMonth: 0 }]));
  const credits = { usedCc: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 };
  let activeUsers = 0;
  for (const g of groups) {
    credits.includedCc += g.includedCc;
    credits.overageCc += g.overageCc;
    credits.unbilledCc += g.unbilledCc;
    if (isActiveUserInMonth(g)) activeUsers += g.users;
    if (g.feeTier === null) continue;
    const seats = byTier.get(g.feeTier);
    // A tier no longer in the catalog still held seats that month: it is shown after the catalog's tiers.
    const row = seats ?? { tier: g.feeTier, total: 0, activeAtStart: 0, activatedInMonth: 0 };
    if (!seats) byTier.set(g.feeTier, row);
    row.total += g.users;
    if (g.activatedInMonth) row.activatedInMonth += g.users;
    else row.activeAtStart += g.users;
  }
  credits.usedCc = usedOf(credits);
  const tiers = [...byTier.values()];
  const sum = (key: "total" | "activeAtStart" | "activatedInMonth") => tiers.reduce((s, t) => s + t[key], 0);
  return {
    periodId,
    source,
    seats: { total: sum("total"), activeAtStart: sum("activeAtStart"), activatedInMonth: sum("activatedInMonth"), byTier: tiers },
    activeUsers,
    credits,
    money,
  };
}

/** A month with nothing in it (before the profile existed): zeros, every catalog tier listed. */
export function emptyTrendMonth(catalog: Catalog, periodId: string): TrendMonth {
  return trendMonth(catalog, periodId, "none", [], { feesCents: 0, overageCents: 0, totalCents: 0 });
}
