import { sql } from "drizzle-orm";
import { bigint, boolean, check, foreignKey, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accountId, createdAt, instant, newId } from "./columns";
import { adminRoleEnum, cancelAccessEnum, firstMonthEnum } from "./enums";

export const accounts = pgTable("accounts", {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  createdAt: createdAt(),
});

/** People who sign in to the console (not directory users). E-mail is the sign-in name, unique across accounts. */
export const consoleAdmins = pgTable(
  "console_admins",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    email: text().notNull(),
    name: text().notNull(),
    role: adminRoleEnum().notNull(),
    passwordHash: text().notNull(),
    createdAt: createdAt(),
  },
  // Unique across accounts through console_sign_ins (a key on lower(email) alone could not hold on a table distributed by account).
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("console_admins_email_idx").on(sql`lower(${t.email})`)],
);

/**
 * Which account and admin a sign-in e-mail (lower case) belongs to: the one key that must be unique across
 * accounts, kept apart from the tenant tables so they can be distributed by account (DESIGN.md §3) while this
 * one is a reference table. Written only by migration 0019's triggers on console_admins: an insert claims the
 * e-mail here first and is skipped when it is taken (as ON CONFLICT DO NOTHING on the old unique index was);
 * a delete frees it. No foreign key: a reference table may not point at rows that live on one shard.
 */
export const consoleSignIns = pgTable("console_sign_ins", {
  emailFold: text().primaryKey(),
  accountId: uuid().notNull(),
  adminId: uuid().notNull(),
});

/**
 * Console sessions. Only the SHA-256 of the cookie's token is stored. The cookie does not name the account, so
 * a request finds its session by token_hash alone (its own index); the hash of 256 random bits is unique by
 * construction, and the key is (account_id, token_hash) so the table can be distributed by account.
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    tokenHash: text().notNull(),
    accountId: accountId(),
    adminId: uuid().notNull(),
    createdAt: createdAt(),
    lastSeenAt: instant().notNull(),
    expiresAt: instant().notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.accountId, t.adminId], foreignColumns: [consoleAdmins.accountId, consoleAdmins.id] }).onDelete("cascade"),
    primaryKey({ columns: [t.accountId, t.tokenHash] }),
    index("console_sessions_token_idx").on(t.tokenHash),
    index("console_sessions_admin_idx").on(t.accountId, t.adminId),
  ],
);

/** An account's presence in one region: at most one per account and region (DESIGN.md §1). */
export const profiles = pgTable(
  "profiles",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    region: text().notNull(),
    name: text().notNull(),
    overagesEnabled: boolean().notNull().default(false),
    cancelAccess: cancelAccessEnum().notNull().default("end-of-month"),
    firstMonth: firstMonthEnum().notNull().default("full"),
    /** Per-user overage cap in centicredits when no override applies; null: no cap. */
    defaultCapCc: bigint({ mode: "number" }),
    /** Profile-wide monthly overage budget in cents; null: none. */
    budgetCents: bigint({ mode: "number" }),
    createdAt: createdAt(),
    /** The last period the month close has finalized ("YYYY-MM"); null: none yet. */
    closedThrough: text(),
    /** Idle-seat automation (issue 15; packages/domain idle/settings.ts): days idle before a warning; null: off. */
    idleWarnDays: integer(),
    /** Days after the warning before a still-idle seat's plan is deactivated; null: never (needs idleWarnDays). */
    idleDeactivateDays: integer(),
    /** Days a Pending seat may stay never activated before it expires; null: never. */
    idleExpireDays: integer(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("profiles_account_region_uq").on(t.accountId, t.region),
    check("profiles_limits_nonnegative", sql`coalesce(${t.defaultCapCc}, 0) >= 0 and coalesce(${t.budgetCents}, 0) >= 0`),
    check(
      "profiles_idle_days_range",
      sql`coalesce(${t.idleWarnDays}, 1) between 1 and 365 and coalesce(${t.idleDeactivateDays}, 1) between 1 and 365 and coalesce(${t.idleExpireDays}, 1) between 1 and 365 and (${t.idleDeactivateDays} is null or ${t.idleWarnDays} is not null)`,
    ),
  ],
);
