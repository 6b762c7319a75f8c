import { sql } from "drizzle-orm";
import { boolean, foreignKey, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { accountId, createdAt, instant, newId } from "./columns";

/** The account's people as the identity provider sees them; Seatdesk mirrors, it does not own them. */
export const directoryUsers = pgTable(
  "directory_users",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    userName: text().notNull(),
    displayName: text().notNull(),
    email: text().notNull(),
    externalId: text(),
    /** false: set inactive by the identity provider. */
    active: boolean().notNull().default(true),
    deletedAt: instant(),
    createdAt: createdAt(),
    /** The identity provider's other SCIM attributes (name parts, e-mails, title…), kept so a GET returns what a PUT sent. */
    scim: jsonb(),
    /** Last change through SCIM or the console (SCIM meta.lastModified). */
    updatedAt: instant(),
    /** What a search matches: name and e-mail, lower-cased once on write rather than on every row read. */
    searchText: text().generatedAlwaysAs(sql`lower(display_name || ' ' || email)`),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("directory_users_user_name_uq").on(t.accountId, sql`lower(${t.userName})`),
    // The Users tab pages by (display_name, id) with keyset cursors.
    index("directory_users_name_idx").on(t.accountId, t.displayName, t.id),
    // Substring search on name or e-mail.
    index("directory_users_search_idx").using("gin", sql`${t.searchText} gin_trgm_ops`),
  ],
);

export const directoryGroups = pgTable(
  "directory_groups",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    displayName: text().notNull(),
    externalId: text(),
    createdAt: createdAt(),
    /** Last change through SCIM or the console (SCIM meta.lastModified). */
    updatedAt: instant(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), uniqueIndex("directory_groups_name_uq").on(t.accountId, sql`lower(${t.displayName})`)],
);

export const groupMembers = pgTable(
  "group_members",
  {
    accountId: accountId(),
    groupId: uuid().notNull(),
    userId: uuid().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.groupId, t.userId] }),
    index("group_members_user_idx").on(t.accountId, t.userId),
    foreignKey({ columns: [t.accountId, t.groupId], foreignColumns: [directoryGroups.accountId, directoryGroups.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }).onDelete("cascade"),
  ],
);
