import { sql } from "drizzle-orm";
import { bigint, check, date, foreignKey, index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { profiles } from "./accounts";
import { accountId, instant } from "./columns";
import { directoryUsers } from "./directory";
import { tierEnum } from "./enums";

/**
 * One subscribed user's forecast in one profile, as the daily forecast job last decided it (issue 15, Forecasts).
 * Every column is the domain's decision written as is: the Users tab filters on `allowance_runs_out_on` within the
 * current period and never recomputes a run-out day in SQL. Days are UTC calendar days.
 */
export const seatForecasts = pgTable(
  "seat_forecasts",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    userId: uuid().notNull(),
    /** "YYYY-MM": the period the forecast is about. */
    period: text().notNull(),
    computedAt: instant().notNull(),
    /** Hundredths of a credit per day over the last 7 complete UTC days, rounded half-up. */
    burnCcPerDay: bigint({ mode: "number" }).notNull(),
    /** The UTC day the allowance runs out at that rate; null when not in this period. Already used up: the day it did. */
    allowanceRunsOutOn: date({ mode: "string" }),
    /** The day the user would be blocked; null when never in this period. */
    accessStopsOn: date({ mode: "string" }),
    /** Which limit blocks them on `accessStopsOn`: 'allowance' | 'cap' | 'budget'. */
    stopReason: text(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.userId] }),
    check("seat_forecasts_period_format", sql`${t.period} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
    check("seat_forecasts_stop_reason", sql`${t.stopReason} is null or ${t.stopReason} in ('allowance', 'cap', 'budget')`),
    check("seat_forecasts_stop_pair", sql`(${t.accessStopsOn} is null) = (${t.stopReason} is null)`),
    index("seat_forecasts_runs_out_idx").on(t.accountId, t.profileId, t.allowanceRunsOutOn),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }).onDelete("cascade"),
  ],
);

/**
 * A profile's forecast as of the forecast job's last run, and that run's marker: `computed_on` is the UTC day
 * the job last decided the profile's seats, so a run once per day per profile claims the row (FOR UPDATE
 * SKIP LOCKED) and a second worker skips it.
 */
export const profileForecasts = pgTable(
  "profile_forecasts",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    period: text().notNull(),
    computedOn: date({ mode: "string" }).notNull(),
    computedAt: instant().notNull(),
    /** All subscribed users' burn, hundredths of a credit per day (the sum of the seats' rates). */
    burnCcPerDay: bigint({ mode: "number" }).notNull(),
    /** Overage accepted so far plus what the seats' rates add by the end of the period, within caps and budget. */
    projectedOverageCc: bigint({ mode: "number" }).notNull(),
    projectedOverageCents: bigint({ mode: "number" }).notNull(),
    /** When the profile's monthly budget runs out at those rates, and its UTC day; null: no budget, or not this period. */
    budgetRunsOutAt: instant(),
    budgetRunsOutOn: date({ mode: "string" }),
    seats: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId] }),
    check("profile_forecasts_period_format", sql`${t.period} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
  ],
);

/**
 * Right-sizing as the forecast job last decided it from the last two complete months (issue 15, Forecasts):
 * a cheaper tier for the user's usage, and the saving per month. A row is about `from_tier`: the console
 * lists it only while the subscription is still at that tier, so a plan change hides it at once.
 */
export const seatRightSizing = pgTable(
  "seat_right_sizing",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    userId: uuid().notNull(),
    /** 'upgrade' | 'downgrade' */
    kind: text().notNull(),
    fromTier: tierEnum("from_tier").notNull(),
    toTier: tierEnum("to_tier").notNull(),
    savingCentsPerMonth: bigint({ mode: "number" }).notNull(),
    /** The month the upgrade's figures come from; for a downgrade the later of its two months. */
    basisPeriod: text().notNull(),
    computedAt: instant().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.userId] }),
    check("seat_right_sizing_kind", sql`${t.kind} in ('upgrade', 'downgrade')`),
    check("seat_right_sizing_saving_positive", sql`${t.savingCentsPerMonth} > 0`),
    index("seat_right_sizing_list_idx").on(t.accountId, t.profileId, t.kind, t.savingCentsPerMonth, t.userId),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }).onDelete("cascade"),
  ],
);
