import { bigint, foreignKey, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { profiles } from "./accounts";
import { accountId, instant, newId } from "./columns";
import { directoryUsers } from "./directory";

/** One accepted usage event, split by the rules; its idempotency key is unique per profile (edge case 8). */
export const usageEvents = pgTable(
  "usage_events",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    id: newId(),
    period: text().notNull(),
    userId: uuid().notNull(),
    idempotencyKey: text().notNull(),
    client: text().notNull(),
    creditsCc: bigint({ mode: "number" }).notNull(),
    includedCc: bigint({ mode: "number" }).notNull(),
    overageCc: bigint({ mode: "number" }).notNull(),
    unbilledCc: bigint({ mode: "number" }).notNull(),
    occurredAt: instant().notNull(),
    recordedAt: instant().notNull(),
    /** The answer given the first time, returned again for the same key and body (edge case 8). */
    result: jsonb().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.id] }),
    uniqueIndex("usage_events_key_uq").on(t.accountId, t.profileId, t.idempotencyKey),
    // The activity report reads one profile's day through it (migration 0012).
    index("usage_events_occurred_idx").on(t.accountId, t.profileId, t.occurredAt),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }),
  ],
);
