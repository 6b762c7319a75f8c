import { bigint, foreignKey, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { profiles } from "./accounts";
import { accountId, instant, newId } from "./columns";
import { directoryUsers } from "./directory";

/**
 * One accepted usage event, split by the rules. Partitioned by month on occurred_at (migration 0018; drizzle-kit
 * does not describe partitioning, so this is the parent's shape): one table per month, `usage_events_YYYY_MM`,
 * created ahead by the scheduler (packages/scheduler partitions.ts), a default partition for any instant no month
 * covers yet, and months past the retention detached into the `archive` schema. Every key of a partitioned
 * table holds the partition key, so the key is (account, profile, occurred_at, id): it also reads one profile's
 * range of instants (the activity report, the dashboard, forecasts). Idempotency lives in usage_keys.
 */
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
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.occurredAt, t.id] }),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
    foreignKey({ columns: [t.accountId, t.userId], foreignColumns: [directoryUsers.accountId, directoryUsers.id] }),
  ],
);

/**
 * An idempotency key of a profile (edge case 8) and what it answered: the event's body, to tell a retry from
 * another event under the same key, and the answer given the first time, returned again for every retry
 * (edge case 14) whichever month it comes in. Written in the same statement as its event (services/usage/write.ts);
 * its key is the only unique one the usage path needs, so it can stay out of the month partitions. The user
 * is checked by the event's own foreign key, written beside it.
 */
export const usageKeys = pgTable(
  "usage_keys",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    idempotencyKey: text().notNull(),
    userId: uuid().notNull(),
    client: text().notNull(),
    creditsCc: bigint({ mode: "number" }).notNull(),
    occurredAt: instant().notNull(),
    result: jsonb().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.idempotencyKey] }),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }),
  ],
);
