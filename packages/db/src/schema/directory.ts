import { sql } from "drizzle-orm";
import { bigint, boolean, foreignKey, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
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
    // One fold for lookups and uniqueness alike (name-fold.ts): seatdesk_fold, not the locale-dependent lower().
    uniqueIndex("directory_users_user_name_uq").on(t.accountId, sql`seatdesk_fold(${t.userName})`),
    // The Users tab pages by (display_name, id) with keyset cursors.
    index("directory_users_name_idx").on(t.accountId, t.displayName, t.id),
    // Substring search on name or e-mail.
    index("directory_users_search_idx").using("gin", sql`${t.searchText} gin_trgm_ops`),
    // SCIM clients look people up by their own id (filter=externalId eq "…").
    index("directory_users_external_id_idx").on(t.accountId, t.externalId),
  ],
);

/**
 * How many committed transactions have changed an account's directory users. A deferred trigger on
 * directory_users (migration 0007) adds one at commit, once per transaction, so a reader that sees
 * version V in a snapshot sees exactly the users as of V: the server's in-memory search index
 * (services/directory-search.ts) compares it to tell whether it is still current.
 */
export const directoryVersions = pgTable("directory_versions", {
  accountId: uuid()
    .primaryKey()
    .references(() => accounts.id),
  version: bigint({ mode: "number" }).notNull().default(0),
});

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
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("directory_groups_name_uq").on(t.accountId, sql`seatdesk_fold(${t.displayName})`),
    // SCIM clients look groups up by their own id (filter=externalId eq "…").
    index("directory_groups_external_id_idx").on(t.accountId, t.externalId),
  ],
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
