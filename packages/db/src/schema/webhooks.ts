import { sql } from "drizzle-orm";
import { boolean, check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { accountId, createdAt, instant, newId } from "./columns";

/**
 * Webhook endpoints per account (issue 15, "Webhooks"). The secret (`whsec_…`, Standard Webhooks) is kept
 * as is: signing needs it, so a hash cannot do. It is returned once, at creation or rotation, and never
 * listed. After a rotation the previous secret also signs until `previous_secret_expires_at`, so receivers
 * can switch without dropping a message. `event_types` empty: every event.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    url: text().notNull(),
    description: text().notNull().default(""),
    eventTypes: text().array().notNull().default(sql`'{}'::text[]`),
    secret: text().notNull(),
    previousSecret: text(),
    previousSecretExpiresAt: instant(),
    enabled: boolean().notNull().default(true),
    disabledReason: text(),
    disabledAt: instant(),
    consecutiveFailures: integer().notNull().default(0),
    failingSince: instant(),
    createdAt: createdAt(),
    createdBy: text().notNull(),
    updatedAt: instant().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("webhook_endpoints_enabled_idx").on(t.accountId).where(sql`${t.enabled}`)],
);

/**
 * The outbox: one row per event, written in the same transaction as the change it reports (triggers of
 * migration 0015 on notices, audit_log, invoices and activity_report_files, only while the account has an
 * enabled endpoint that wants the type). `id` is the `webhook-id` every delivery of it carries.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    accountId: accountId().references(() => accounts.id),
    id: newId(),
    type: text().notNull(),
    profileId: uuid(),
    payload: jsonb().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("webhook_events_created_idx").on(t.accountId, t.createdAt)],
);

export const webhookDeliveryStatuses = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/**
 * One event to one endpoint. A sender claims a due row (FOR UPDATE SKIP LOCKED) by writing a claim token
 * and a lease; the result is recorded only under that token. A sender that dies leaves the lease to run
 * out, and the next one sends the same `webhook-id` again (at least once).
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    accountId: accountId(),
    id: newId(),
    endpointId: uuid().notNull(),
    eventId: uuid().notNull(),
    status: text().$type<WebhookDeliveryStatus>().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    /** Due at this time; ignored before the first attempt (a new event goes at once, whatever the clocks). */
    nextAttemptAt: instant().notNull().defaultNow(),
    firstAttemptAt: instant(),
    lastAttemptAt: instant(),
    lastResponseCode: integer(),
    lastError: text(),
    deliveredAt: instant(),
    claimToken: uuid(),
    leaseUntil: instant(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("webhook_deliveries_once_uq").on(t.accountId, t.endpointId, t.eventId),
    index("webhook_deliveries_log_idx").on(t.accountId, t.endpointId, t.createdAt.desc(), t.id.desc()),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    check("webhook_deliveries_status", sql`${t.status} in ('pending', 'delivered', 'failed')`),
    foreignKey({ columns: [t.accountId, t.endpointId], foreignColumns: [webhookEndpoints.accountId, webhookEndpoints.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.accountId, t.eventId], foreignColumns: [webhookEvents.accountId, webhookEvents.id] }).onDelete("cascade"),
  ],
);
