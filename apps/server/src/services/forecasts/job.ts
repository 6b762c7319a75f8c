import { sql } from "drizzle-orm";
import {
  forecastDay,
  forecastProfile,
  forecastSeat,
  periodOf,
  previousPeriod,
  rightSizingFor,
  seatBasis,
  type Catalog,
  type RightSizingAdvice,
  type SeatBasis,
} from "@seatdesk/domain";
import { numberOf, profileForecasts, rowsOf, seatForecasts, seatRightSizing, type Db, type Tx } from "@seatdesk/db";
import type { ScheduledJob } from "@seatdesk/scheduler";
import { loadBurnRates, loadProfileOverage, loadSeatFacts, type ForecastProfileSettings } from "./seats";

/** Users read, decided and written per statement: bounded memory and parameter counts at 100,000 users. */
export const forecastChunk = 2_000;

type Big = string | number | null;

/** Profiles whose forecast is not yet of `now`'s UTC day (never computed, or on an earlier day). */
async function dueProfiles(db: Db, today: string, accountId: string | undefined): Promise<ForecastProfileSettings[]> {
  const rows = rowsOf<{ account_id: string; id: string; overages_enabled: boolean; default_cap_cc: Big; budget_cents: Big }>(
    await db.execute(sql`
      select p.account_id, p.id, p.overages_enabled, p.default_cap_cc, p.budget_cents from profiles p
      left join profile_forecasts f on f.account_id = p.account_id and f.profile_id = p.id
      where (f.computed_on is null or f.computed_on < ${today}::date) ${accountId ? sql`and p.account_id = ${accountId}::uuid` : sql``}
      order by p.account_id, p.id`),
  );
  return rows.map((r) => ({ accountId: r.account_id, id: r.id, overagesEnabled: r.overages_enabled, defaultCapCc: numberOf(r.default_cap_cc), budgetCents: numberOf(r.budget_cents) }));
}

/**
 * Claims the profile's forecast for `today`: its profile_forecasts row, created if missing, locked FOR UPDATE
 * SKIP LOCKED, and still older than today. false: another worker has it, or it is done.
 */
async function claim(tx: Tx, p: ForecastProfileSettings, today: string, now: Date): Promise<boolean> {
  await tx.execute(sql`
    insert into profile_forecasts (account_id, profile_id, period, computed_on, computed_at, burn_cc_per_day, projected_overage_cc, projected_overage_cents, seats)
    values (${p.accountId}::uuid, ${p.id}::uuid, ${periodOf(now).id}, '1970-01-01', ${now.toISOString()}::timestamptz, 0, 0, 0, 0)
    on conflict do nothing`);
  const rows = rowsOf<{ due: boolean }>(
    await tx.execute(sql`
      select computed_on < ${today}::date as due from profile_forecasts
      where account_id = ${p.accountId}::uuid and profile_id = ${p.id}::uuid for update skip locked`),
  );
  return rows[0]?.due === true;
}

interface Counted {
  seats: number;
  rightSizing: number;
}

/**
 * One profile's forecast as of `now` (issue 15, Forecasts), in the claiming transaction: the 7-day burn in
 * one set-based read, then the subscriptions in chunks; the domain decides each seat's basis and right-sizing
 * (written per chunk), then the profile's budget run-out from every seat's compact basis, then each seat's
 * run-out days (upserted per chunk). Rows this run did not write (users no longer subscribed, advice that
 * no longer holds) are deleted at the end.
 */
async function forecastOne(tx: Tx, catalog: Catalog, p: ForecastProfileSettings, now: Date): Promise<Counted> {
  const period = periodOf(now);
  const burn = await loadBurnRates(tx, p, now);
  const { budgetUsedCc, overageCc } = await loadProfileOverage(tx, p, period);
  const lastMonth = previousPeriod(period).id;
  const seats: { userId: string; basis: SeatBasis }[] = [];
  let advised = 0;
  for (let after: string | null = null; ; ) {
    const facts = await loadSeatFacts(tx, p, period, now, { after, limit: forecastChunk });
    const advice: { userId: string; a: RightSizingAdvice }[] = [];
    for (const f of facts) {
      const basis = seatBasis({ catalog, subscription: f.subscription, ledger: f.ledger, burnCcPerDay: burn.get(f.userId) ?? 0, overageAllowed: f.overageAllowed, userCap: f.userCap, now });
      if (basis) seats.push({ userId: f.userId, basis });
      const a = rightSizingFor(catalog, { subscription: f.subscription, lastMonth: f.lastMonth, monthBefore: f.monthBefore, now });
      if (a) advice.push({ userId: f.userId, a });
    }
    if (advice.length > 0) {
      advised += advice.length;
      await tx
        .insert(seatRightSizing)
        .values(
          advice.map(({ userId, a }) => ({
            accountId: p.accountId,
            profileId: p.id,
            userId,
            kind: a.kind,
            fromTier: a.fromTier,
            toTier: a.toTier,
            savingCentsPerMonth: a.savingCentsPerMonth,
            basisPeriod: lastMonth,
            computedAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: [seatRightSizing.accountId, seatRightSizing.profileId, seatRightSizing.userId],
          set: {
            kind: sql`excluded.kind`,
            fromTier: sql`excluded.from_tier`,
            toTier: sql`excluded.to_tier`,
            savingCentsPerMonth: sql`excluded.saving_cents_per_month`,
            basisPeriod: sql`excluded.basis_period`,
            computedAt: sql`excluded.computed_at`,
          },
        });
    }
    if (facts.length < forecastChunk) break;
    after = facts[facts.length - 1]!.userId;
  }

  const profile = forecastProfile({ catalog, seats: seats.map((s) => s.basis), now, budgetCents: p.budgetCents, budgetUsedCc, overageCc });
  for (let i = 0; i < seats.length; i += forecastChunk) {
    const chunk = seats.slice(i, i + forecastChunk);
    await tx
      .insert(seatForecasts)
      .values(
        chunk.map(({ userId, basis }) => {
          const f = forecastSeat(basis, now, profile.budgetRunsOutAt);
          return {
            accountId: p.accountId,
            profileId: p.id,
            userId,
            period: period.id,
            computedAt: now,
            burnCcPerDay: f.burnCcPerDay,
            allowanceRunsOutOn: f.allowanceRunsOutOn,
            accessStopsOn: f.accessStopsOn,
            stopReason: f.stopReason,
          };
        }),
      )
      .onConflictDoUpdate({
        target: [seatForecasts.accountId, seatForecasts.profileId, seatForecasts.userId],
        set: {
          period: sql`excluded.period`,
          computedAt: sql`excluded.computed_at`,
          burnCcPerDay: sql`excluded.burn_cc_per_day`,
          allowanceRunsOutOn: sql`excluded.allowance_runs_out_on`,
          accessStopsOn: sql`excluded.access_stops_on`,
          stopReason: sql`excluded.stop_reason`,
        },
      });
  }
  const stamp = sql`${now.toISOString()}::timestamptz`;
  await tx.execute(sql`delete from seat_forecasts where account_id = ${p.accountId}::uuid and profile_id = ${p.id}::uuid and computed_at <> ${stamp}`);
  await tx.execute(sql`delete from seat_right_sizing where account_id = ${p.accountId}::uuid and profile_id = ${p.id}::uuid and computed_at <> ${stamp}`);
  await tx
    .update(profileForecasts)
    .set({
      period: period.id,
      computedOn: forecastDay(now),
      computedAt: now,
      burnCcPerDay: profile.burnCcPerDay,
      projectedOverageCc: profile.projectedOverageCc,
      projectedOverageCents: profile.projectedOverageCentsEstimate,
      budgetRunsOutAt: profile.budgetRunsOutAt === null ? null : new Date(profile.budgetRunsOutAt),
      budgetRunsOutOn: profile.budgetRunsOutOn,
      seats: profile.seats,
    })
    .where(sql`${profileForecasts.accountId} = ${p.accountId}::uuid and ${profileForecasts.profileId} = ${p.id}::uuid`);
  return { seats: seats.length, rightSizing: advised };
}

/**
 * The daily forecast (issue 15, Forecasts): once per UTC day per profile, every subscribed user's burn rate
 * and run-out days, the profile's forecast and the right-sizing lists. Catching up needs no replay: a
 * forecast is about the days ahead, so a run after missed days computes today's, which supersedes them.
 * Idempotent (a profile already done today is skipped) and safe with several workers (each profile is
 * claimed FOR UPDATE SKIP LOCKED, its work done in that one transaction).
 */
export const forecastJob: ScheduledJob = {
  name: "forecasts",
  async run(db, now, { catalog, accountId, signal }) {
    const today = forecastDay(now);
    let profiles = 0;
    let seats = 0;
    let rightSizing = 0;
    let skipped = 0;
    for (const p of await dueProfiles(db, today, accountId)) {
      if (signal?.aborted) break;
      const done = await db.transaction(async (tx) => ((await claim(tx, p, today, now)) ? forecastOne(tx, catalog, p, now) : null));
      if (!done) {
        skipped++;
        continue;
      }
      profiles++;
      seats += done.seats;
      rightSizing += done.rightSizing;
    }
    return { profiles, seats, rightSizing, skipped };
  },
};
