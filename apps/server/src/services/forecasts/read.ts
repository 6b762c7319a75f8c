import { sql } from "drizzle-orm";
import { budgetRoomCenticredits, forecastSeat, periodOf, seatBasis, type Catalog, type RightSizingKind, type SeatBasis, type StopReason, type TierId } from "@seatdesk/domain";
import { inForceAt, instantOf, numberOf, rowsOf, subscriptionColumns, type Executor } from "@seatdesk/db";
import { loadBurnRates, loadProfileOverage, loadSeatFacts, type ForecastProfileSettings } from "./seats";

type Big = string | number | null;

/** One user's forecast: what the domain's seat forecast started from, and what it decided. */
export interface UserForecast extends SeatBasis {
  asOf: Date;
  allowanceRunsOutOn: string | null;
  capRunsOutOn: string | null;
  accessStopsOn: string | null;
  stopReason: StopReason | null;
  /** The profile budget's run-out came from the daily forecast of this instant (null: the budget needed none, or there is none yet). */
  budgetForecastAsOf: Date | null;
}

interface StoredProfileForecast {
  period: string;
  computedAt: Date;
  burnCcPerDay: number;
  projectedOverageCc: number;
  projectedOverageCents: number;
  budgetRunsOutAt: Date | null;
  budgetRunsOutOn: string | null;
  seats: number;
}

async function storedProfileForecast(db: Executor, p: { accountId: string; id: string }): Promise<StoredProfileForecast | null> {
  const [r] = rowsOf<{ period: string; computed_on: string; computed_at: string | Date; burn_cc_per_day: Big; projected_overage_cc: Big; projected_overage_cents: Big; budget_runs_out_at: string | Date | null; budget_runs_out_on: string | Date | null; seats: number }>(
    await db.execute(sql`select period, computed_on::text, computed_at, burn_cc_per_day, projected_overage_cc, projected_overage_cents, budget_runs_out_at, budget_runs_out_on::text, seats
      from profile_forecasts where account_id = ${p.accountId}::uuid and profile_id = ${p.id}::uuid and computed_on > '1970-01-01'`),
  );
  if (!r) return null;
  return {
    period: r.period,
    computedAt: instantOf(r.computed_at)!,
    burnCcPerDay: numberOf(r.burn_cc_per_day) ?? 0,
    projectedOverageCc: numberOf(r.projected_overage_cc) ?? 0,
    projectedOverageCents: numberOf(r.projected_overage_cents) ?? 0,
    budgetRunsOutAt: instantOf(r.budget_runs_out_at),
    budgetRunsOutOn: r.budget_runs_out_on === null ? null : String(r.budget_runs_out_on),
    seats: r.seats,
  };
}

/**
 * One user's forecast, live (issue 15, Forecasts): their 7-day burn, ledger and limits read now and decided by
 * the domain. The budget's run-out is the profile's: today when the budget is used up now, else the daily
 * forecast's instant (recomputing it would read every seat of the profile). null: no subscription in force.
 */
export async function userForecast(db: Executor, catalog: Catalog, p: ForecastProfileSettings, userId: string, now: Date): Promise<UserForecast | null> {
  const period = periodOf(now);
  const [facts] = await loadSeatFacts(db, p, period, now, { userId });
  if (!facts) return null;
  const burn = await loadBurnRates(db, p, now, userId);
  const basis = seatBasis({ catalog, subscription: facts.subscription, ledger: facts.ledger, burnCcPerDay: burn.get(userId) ?? 0, overageAllowed: facts.overageAllowed, userCap: facts.userCap, now });
  if (!basis) return null;
  let budgetAt: number | null = null;
  let budgetForecastAsOf: Date | null = null;
  if (p.budgetCents !== null) {
    const { budgetUsedCc } = await loadProfileOverage(db, p, period);
    if (budgetRoomCenticredits(p.budgetCents, budgetUsedCc, catalog.overageCentsPerCredit) === 0) budgetAt = now.getTime();
    else {
      const stored = await storedProfileForecast(db, p);
      if (stored && stored.period === period.id && stored.budgetRunsOutAt && stored.budgetRunsOutAt.getTime() >= now.getTime()) {
        budgetAt = stored.budgetRunsOutAt.getTime();
        budgetForecastAsOf = stored.computedAt;
      }
    }
  }
  const f = forecastSeat(basis, now, budgetAt);
  return {
    asOf: now,
    tier: basis.tier,
    burnCcPerDay: basis.burnCcPerDay,
    allowanceCc: basis.allowanceCc,
    allowanceLeftCc: basis.allowanceLeftCc,
    overageCc: basis.overageCc,
    overageAllowed: basis.overageAllowed,
    capRoomCc: basis.capRoomCc,
    allowanceRunsOutOn: f.allowanceRunsOutOn,
    capRunsOutOn: f.capRunsOutOn,
    accessStopsOn: f.accessStopsOn,
    stopReason: f.stopReason,
    budgetForecastAsOf,
  };
}

export interface ProfileForecastView {
  periodId: string;
  /** The daily forecast, as of `computedAt`; null before the first run (or from an earlier month). */
  forecast: StoredProfileForecast | null;
  /** From the seats' rows of this period's forecast: allowance running out this month, blocked this month, by reason. */
  usersAllowanceRunsOut: number;
  usersAccessStops: number;
  stopsByReason: Record<StopReason, number>;
}

/** The overview's forecast: the stored profile forecast and counts over seat_forecasts (plain columns the job wrote). */
export async function profileForecastView(db: Executor, p: { accountId: string; id: string }, now: Date): Promise<ProfileForecastView> {
  const period = periodOf(now);
  const stored = await storedProfileForecast(db, p);
  const [c] = rowsOf<{ runs_out: Big; stops: Big; allowance: Big; cap: Big; budget: Big }>(
    await db.execute(sql`
      select count(*) filter (where allowance_runs_out_on is not null) as runs_out, count(*) filter (where access_stops_on is not null) as stops,
        count(*) filter (where stop_reason = 'allowance') as allowance, count(*) filter (where stop_reason = 'cap') as cap, count(*) filter (where stop_reason = 'budget') as budget
      from seat_forecasts where account_id = ${p.accountId}::uuid and profile_id = ${p.id}::uuid and period = ${period.id}`),
  );
  const n = (v: Big | undefined) => numberOf(v ?? null) ?? 0;
  return {
    periodId: period.id,
    forecast: stored && stored.period === period.id ? stored : null,
    usersAllowanceRunsOut: n(c?.runs_out),
    usersAccessStops: n(c?.stops),
    stopsByReason: { allowance: n(c?.allowance), cap: n(c?.cap), budget: n(c?.budget) },
  };
}

export interface RightSizingRow {
  kind: RightSizingKind;
  userId: string;
  displayName: string;
  email: string;
  fromTier: TierId;
  toTier: TierId;
  savingCentsPerMonth: number;
  basisPeriod: string;
}

export interface RightSizingPage {
  /** Upgrades first, then downgrades; each by saving, largest first. */
  rows: RightSizingRow[];
  nextCursor: [string, string] | null;
  upgrade: { count: number; savingCentsPerMonth: number };
  downgrade: { count: number; savingCentsPerMonth: number };
  totalSavingCentsPerMonth: number;
  asOf: Date | null;
}

/** The cursor's key: kind (0 upgrade, 1 downgrade) and the saving's complement, so the keyset runs ascending. */
export const rightSizingKey = (kind: RightSizingKind, saving: number) => `${kind === "upgrade" ? 0 : 1}:${String(999_999_999_999 - saving).padStart(12, "0")}`;
export const validRightSizingKey = (key: string) => /^[01]:[0-9]{12}$/.test(key);

/**
 * The right-sizing lists (issue 15, Forecasts) as the daily forecast decided them, shown only while the
 * subscription is still Active in force at the tier the advice is about, with no change scheduled (plain
 * columns and inForceAt): a plan change made since hides the row at once.
 */
export async function rightSizingPage(db: Executor, p: { accountId: string; id: string }, now: Date, page: { after: [string, string] | null; limit: number }): Promise<RightSizingPage> {
  const sortKey = sql`(case r.kind when 'upgrade' then '0:' else '1:' end) || lpad((999999999999 - r.saving_cents_per_month)::text, 12, '0')`;
  const shown = sql`r.account_id = ${p.accountId}::uuid and r.profile_id = ${p.id}::uuid
      and s.tier = r.from_tier and s.status = 'active' and s.scheduled_tier is null and ${inForceAt(now, subscriptionColumns("s"))}`;
  const [rows, totals] = await Promise.all([
    db.execute(sql`
      select r.kind, r.user_id, u.display_name, u.email, r.from_tier, r.to_tier, r.saving_cents_per_month, r.basis_period
      from seat_right_sizing r
      join subscriptions s on s.account_id = r.account_id and s.profile_id = r.profile_id and s.user_id = r.user_id
      join directory_users u on u.account_id = r.account_id and u.id = r.user_id
      where ${shown} ${page.after ? sql`and (${sortKey}, r.user_id) > (${page.after[0]}, ${page.after[1]}::uuid)` : sql``}
      order by ${sortKey}, r.user_id
      limit ${page.limit + 1}`),
    db.execute(sql`
      select r.kind, count(*) as n, sum(r.saving_cents_per_month) as saving, max(r.computed_at) as computed_at
      from seat_right_sizing r
      join subscriptions s on s.account_id = r.account_id and s.profile_id = r.profile_id and s.user_id = r.user_id
      where ${shown} group by r.kind`),
  ]);
  const list = rowsOf<{ kind: RightSizingKind; user_id: string; display_name: string; email: string; from_tier: TierId; to_tier: TierId; saving_cents_per_month: Big; basis_period: string }>(rows).map(
    (r): RightSizingRow => ({
      kind: r.kind,
      userId: r.user_id,
      displayName: r.display_name,
      email: r.email,
      fromTier: r.from_tier,
      toTier: r.to_tier,
      savingCentsPerMonth: numberOf(r.saving_cents_per_month) ?? 0,
      basisPeriod: r.basis_period,
    }),
  );
  const shownRows = list.slice(0, page.limit);
  const last = shownRows.at(-1);
  const sums = rowsOf<{ kind: RightSizingKind; n: Big; saving: Big; computed_at: string | Date | null }>(totals);
  const of = (kind: RightSizingKind) => {
    const t = sums.find((r) => r.kind === kind);
    return { count: numberOf(t?.n ?? null) ?? 0, savingCentsPerMonth: numberOf(t?.saving ?? null) ?? 0 };
  };
  const upgrade = of("upgrade");
  const downgrade = of("downgrade");
  const stored = await storedProfileForecast(db, p);
  return {
    rows: shownRows,
    nextCursor: list.length > page.limit && last ? [rightSizingKey(last.kind, last.savingCentsPerMonth), last.userId] : null,
    upgrade,
    downgrade,
    totalSavingCentsPerMonth: upgrade.savingCentsPerMonth + downgrade.savingCentsPerMonth,
    asOf: stored?.computedAt ?? null,
  };
}
