import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, pgTable, primaryKey, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { profiles } from "./accounts";
import { accountId, newId } from "./columns";
import { directoryGroups, directoryUsers } from "./directory";
import { overageSwitchEnum } from "./enums";

/**
 * Overage cap overrides (DESIGN.md §2 edge case 5) for a user or a group in a profile. A row is an
 * override; `cap_cc` null means "unlimited". No row: no override.
 */
export const capOverrides = pgTable(
  "cap_overrides",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    id: newId(),
    userId: uuid(),
    groupId: uuid(),
    capCc: bigint({ mode: "number" }),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("cap_overrides_user_uq").on(t.accountId, t.profileId, t.userId).where(sql`${t.userId} is not null`),
    uniqueIndex("cap_overrides_group_uq").on(t.accountId, t.profileId, t.groupId).where(sql`${t.groupId} is not null`),
    check("cap_overrides_one_target", sql`(${t.userId} is null) <> (${t.groupId} is null)`),
    check("cap_overrides_cap_nonnegative", sql`${t.capCc} is null or ${t.capCc} >= 0`),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.accountId, t.groupId], foreignColumns: [directoryGroups.accountId, directoryGroups.id] }).onDelete("cascade"),
  ],
);

/** The per-user overage switch (`inherit` is the absence of a row). */
export const overageSwitches = pgTable(
  "overage_switches",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    userId: uuid().notNull(),
    value: overageSwitchEnum().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.userId] }),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }).onDelete("cascade"),
  ],
);
