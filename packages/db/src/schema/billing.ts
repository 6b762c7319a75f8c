import { sql } from "drizzle-orm";
import { bigint, boolean, check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { profiles } from "./accounts";
import { accountId, createdAt, instant } from "./columns";
import { directoryUsers } from "./directory";
import { tierEnum } from "./enums";

/** "YYYY-MM": a calendar month in UTC (DESIGN.md §1, period). Sorts in time order. */
const periodColumn = () => text().notNull();
const periodCheck = (name: string, col: unknown) => check(name, sql`${col} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`);

/**
 * One user's month in one profile (the domain's MonthLedger): what that month's bill is made of.
 * Written whenever the subscription changes or usage is recorded in the month.
 */
export const subscriptionMonths = pgTable(
  "subscription_months",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    period: periodColumn(),
    userId: uuid().notNull(),
    feeTier: tierEnum(),
    activeAtStart: boolean().notNull(),
    firstActivatedAt: instant(),
    /** The profile's firstMonth was `prorated` at that first activation (edge case 12): the month is priced with it. */
    firstMonthProrated: boolean().notNull().default(false),
    includedCc: bigint({ mode: "number" }).notNull().default(0),
    overageCc: bigint({ mode: "number" }).notNull().default(0),
    unbilledCc: bigint({ mode: "number" }).notNull().default(0),
    updatedAt: instant().notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.period, t.userId] }),
    periodCheck("subscription_months_period_format", t.period),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }),
    /** The Users tab's sort by credits used this month (issue 15), keyset-paged by user id. */
    index("subscription_months_used_idx").on(t.accountId, t.profileId, t.period, sql`(${t.includedCc} + ${t.overageCc} + ${t.unbilledCc})`, t.userId),
  ],
);

/** A profile's month: overage accepted so far, across users, for the profile-wide budget (edge case 6). */
export const profileMonths = pgTable(
  "profile_months",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    period: periodColumn(),
    overageCc: bigint({ mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.period] }),
    periodCheck("profile_months_period_format", t.period),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
  ],
);

/** One invoice per profile and period, written once when the period closes; never changed after. */
export const invoices = pgTable(
  "invoices",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    period: periodColumn(),
    feesCents: bigint({ mode: "number" }).notNull(),
    overageCents: bigint({ mode: "number" }).notNull(),
    totalCents: bigint({ mode: "number" }).notNull(),
    lineCount: integer().notNull(),
    finalizedAt: createdAt(),
    /**
     * The month's users as the domain's trend groups (trendGroupsOf over the ledgers the bill used): what the
     * overview's trends read for a closed month. Written with the invoice; migration 0017 filled it for the
     * months closed before it.
     */
    trendGroups: jsonb().notNull().default(sql`'[]'::jsonb`),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.period] }),
    periodCheck("invoices_period_format", t.period),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
  ],
);

export const invoiceLines = pgTable(
  "invoice_lines",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    period: periodColumn(),
    userId: uuid().notNull(),
    /** Kept on the line so the invoice reads the same after the directory changes. */
    userDisplayName: text().notNull(),
    userEmail: text().notNull(),
    feeTier: tierEnum().notNull(),
    feeCents: bigint({ mode: "number" }).notNull(),
    prorationDays: integer(),
    prorationDaysInMonth: integer(),
    allowanceCc: bigint({ mode: "number" }).notNull(),
    includedCc: bigint({ mode: "number" }).notNull(),
    overageCc: bigint({ mode: "number" }).notNull(),
    overageCents: bigint({ mode: "number" }).notNull(),
    unbilledCc: bigint({ mode: "number" }).notNull(),
    totalCents: bigint({ mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.period, t.userId] }),
    foreignKey({ columns: [t.accountId, t.profileId, t.period], foreignColumns: [invoices.accountId, invoices.profileId, invoices.period] }),
    index("invoice_lines_user_idx").on(t.accountId, t.userId),
  ],
);
