import { sql } from "drizzle-orm";
import { foreignKey, index, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts, profiles } from "./accounts";
import { accountId, createdAt, instant, newId } from "./columns";

/**
 * Profile API keys for the tool's backends (issue 5): shown once, stored as a SHA-256 of the secret,
 * scoped to one profile. `lookup` is the key's public id, so a request finds its row by index. 72 random
 * bits make it unique in practice; no unique key says so, since one on `lookup` alone could not hold on a table
 * distributed by account (DESIGN.md §3), and the secret decides anyway.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    id: newId(),
    name: text().notNull(),
    lookup: text().notNull(),
    secretHash: text().notNull(),
    createdAt: createdAt(),
    createdBy: text().notNull(),
    lastUsedAt: instant(),
    revokedAt: instant(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    index("api_keys_lookup_idx").on(t.lookup),
    index("api_keys_profile_idx").on(t.accountId, t.profileId),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }).onDelete("cascade"),
  ],
);

/** Notices shown in the console: usage thresholds, month starts, identity changes. One per user, period and kind. */
export const notices = pgTable(
  "notices",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    id: newId(),
    userId: uuid(),
    period: text().notNull(),
    kind: text().notNull(),
    detail: text(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("notices_once_uq").on(t.accountId, t.profileId, t.period, t.kind, sql`coalesce(${t.userId}, '00000000-0000-0000-0000-000000000000'::uuid)`),
    index("notices_user_idx").on(t.accountId, t.profileId, t.userId, t.createdAt),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }).onDelete("cascade"),
  ],
);

/**
 * SCIM bearer tokens (issue 8): an identity provider's credential for one account's /scim/v2, created
 * and revoked by owners, shown once, stored as a SHA-256 of the secret; `lookup` finds the row by index
 * (random, unique in practice, not by a key: as api_keys.lookup).
 */
export const scimTokens = pgTable(
  "scim_tokens",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    name: text().notNull(),
    lookup: text().notNull(),
    secretHash: text().notNull(),
    createdAt: createdAt(),
    createdBy: text().notNull(),
    lastUsedAt: instant(),
    revokedAt: instant(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("scim_tokens_lookup_idx").on(t.lookup)],
);
