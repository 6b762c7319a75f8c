import { sql } from "drizzle-orm";
import { check, foreignKey, index, pgTable, primaryKey, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { profiles } from "./accounts";
import { accountId, createdAt, instant, newId } from "./columns";
import { directoryGroups, directoryUsers } from "./directory";
import { subscriptionStatusEnum, tierEnum } from "./enums";

/** An administrator's choice: this user, or this group, gets a tier in a profile (DESIGN.md §1). */
export const assignments = pgTable(
  "assignments",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    id: newId(),
    userId: uuid(),
    groupId: uuid(),
    tier: tierEnum().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("assignments_user_uq").on(t.accountId, t.profileId, t.userId).where(sql`${t.userId} is not null`),
    uniqueIndex("assignments_group_uq").on(t.accountId, t.profileId, t.groupId).where(sql`${t.groupId} is not null`),
    check("assignments_one_target", sql`(${t.userId} is null) <> (${t.groupId} is null)`),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.accountId, t.groupId], foreignColumns: [directoryGroups.accountId, directoryGroups.id] }).onDelete("cascade"),
  ],
);

/** One user in one profile, derived from the assignments that cover them (DESIGN.md §1). */
export const subscriptions = pgTable(
  "subscriptions",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    userId: uuid().notNull(),
    tier: tierEnum().notNull(),
    status: subscriptionStatusEnum().notNull(),
    scheduledTier: tierEnum(),
    scheduledAt: instant(),
    accessEndsAt: instant(),
    activatedAt: instant(),
    lastActiveAt: instant(),
    createdAt: createdAt(),
    updatedAt: instant().notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.userId] }),
    index("subscriptions_status_idx").on(t.accountId, t.profileId, t.status),
    /** The Users tab's sort by last active and its idle / never-active filters (issue 15), keyset-paged by user id. */
    index("subscriptions_last_active_idx").on(t.accountId, t.profileId, t.lastActiveAt, t.userId),
    /**
     * The few subscriptions with a change scheduled: the month close writes down those that fell due
     * (writeDownScheduledChanges) without reading every subscription of the profiles it closes (issue 17).
     */
    index("subscriptions_scheduled_idx").on(t.accountId, t.profileId).where(sql`${t.scheduledTier} is not null`),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }),
  ],
);
