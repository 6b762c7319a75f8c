import { index, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { accountId, createdAt, newId } from "./columns";

/** Who changed what, when; written in the same transaction as the change. */
export const auditLog = pgTable(
  "audit_log",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    at: createdAt(),
    profileId: uuid(),
    actorType: text().notNull(),
    actorId: text(),
    actorLabel: text().notNull(),
    action: text().notNull(),
    targetType: text().notNull(),
    targetId: text(),
    before: jsonb(),
    after: jsonb(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("audit_log_at_idx").on(t.accountId, t.at.desc(), t.id)],
);
