import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { DomainError, parseWebhookUrl, webhookEventTypes, webhookTestEventType } from "@seatdesk/domain";
import { webhookDeliveries, webhookDeliveryStatuses, webhookEndpoints, webhookEvents, type Tx } from "@seatdesk/db";
import { decodeCursor, encodeCursor } from "../services/cursor";
import { adminActor, recordAudit } from "../services/audit";
import { generateWebhookSecret, secretHint } from "../services/webhooks/secret";
import { adminProcedure, consoleProcedure, ownerProcedure, router } from "../trpc/init";
import { toWire } from "../wire";

/** After a rotation the previous secret keeps signing this long, beside the new one. */
export const previousSecretGraceMs = 24 * 60 * 60 * 1000;
export const deliveryPageSize = 50;

const endpointId = z.object({ endpointId: z.uuid() });
const eventTypes = z.array(z.enum(webhookEventTypes)).max(webhookEventTypes.length).transform((l) => [...new Set(l)].sort());
const description = z.string().trim().max(200);
/** The URL's rules are the domain's (parseWebhookUrl); zod only bounds the string. */
const url = z.string().max(4000);

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  eventTypes: webhookEndpoints.eventTypes,
  secret: webhookEndpoints.secret,
  previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
  enabled: webhookEndpoints.enabled,
  disabledReason: webhookEndpoints.disabledReason,
  disabledAt: webhookEndpoints.disabledAt,
  consecutiveFailures: webhookEndpoints.consecutiveFailures,
  failingSince: webhookEndpoints.failingSince,
  createdAt: webhookEndpoints.createdAt,
  createdBy: webhookEndpoints.createdBy,
};
type EndpointRow = { [K in keyof typeof endpointColumns]: (typeof webhookEndpoints.$inferSelect)[K] };

/** An endpoint as the API shows it: the secret only as a hint; it is shown once, by create and rotateSecret. */
const view = ({ secret, ...e }: EndpointRow) => ({ ...e, secretHint: secretHint(secret) });
/** What the audit keeps of an endpoint: never the secret. */
const auditView = (e: Pick<EndpointRow, "url" | "description" | "eventTypes" | "enabled">) => ({ url: e.url, description: e.description, eventTypes: e.eventTypes, enabled: e.enabled });

const notFound = () => new DomainError("NOT_FOUND", "endpointId: no webhook endpoint with this id in this account", "endpointId");

async function loadEndpoint(tx: Tx, accountId: string, id: string): Promise<EndpointRow> {
  const [row] = await tx
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.accountId, accountId), eq(webhookEndpoints.id, id)))
    .for("update");
  if (!row) throw notFound();
  return row;
}

const cursorKey = sql<string>`to_char(${webhookDeliveries.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const isInstant = (k: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(k);

/**
 * Webhook endpoints and their delivery log (issue 15, "Webhooks"). Owners create, change, delete endpoints
 * and rotate secrets; owners and admins send a delivery again or a test event; everyone signed in reads.
 * Every write is audited in its transaction; the secret is never in an answer but create's and rotate's.
 */
export const webhooksRouter = router({
  list: consoleProcedure.query(async ({ ctx }) => {
    const rows = await ctx.database.db
      .select(endpointColumns)
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.accountId, ctx.accountId))
      .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id));
    return toWire({ endpoints: rows.map(view), disabledCount: rows.filter((r) => !r.enabled).length, eventTypes: webhookEventTypes });
  }),

  create: ownerProcedure
    .input(z.object({ url, description: description.default(""), eventTypes: eventTypes.default([]) }))
    .mutation(async ({ ctx, input }) => {
      const now = ctx.clock.now();
      const target = parseWebhookUrl(input.url);
      const secret = generateWebhookSecret();
      return ctx.database.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(webhookEndpoints)
          .values({ accountId: ctx.accountId, url: target, description: input.description, eventTypes: input.eventTypes, secret, createdAt: now, createdBy: ctx.session.email, updatedAt: now })
          .returning(endpointColumns);
        await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "webhook.endpoint.create", targetType: "webhook-endpoint", targetId: row!.id, after: auditView(row!) }], now);
        return toWire({ endpoint: view(row!), secret, shownOnce: true as const });
      });
    }),

  /** Changes the URL, description, types or the switch; enabling again clears the failure streak. */
  update: ownerProcedure
    .input(endpointId.extend({ url: url.optional(), description: description.optional(), eventTypes: eventTypes.optional(), enabled: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const now = ctx.clock.now();
      const target = input.url === undefined ? undefined : parseWebhookUrl(input.url);
      return ctx.database.db.transaction(async (tx) => {
        const before = await loadEndpoint(tx, ctx.accountId, input.endpointId);
        const enabling = input.enabled === true && !before.enabled;
        const [after] = await tx
          .update(webhookEndpoints)
          .set({
            ...(target !== undefined ? { url: target } : {}),
            ...(input.description !== undefined ? { description: input.description } : {}),
            ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
            ...(input.enabled === false && before.enabled ? { enabled: false, disabledReason: `Disabled by ${ctx.session.email}`, disabledAt: now } : {}),
            ...(enabling ? { enabled: true, disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null } : {}),
            updatedAt: now,
          })
          .where(and(eq(webhookEndpoints.accountId, ctx.accountId), eq(webhookEndpoints.id, input.endpointId)))
          .returning(endpointColumns);
        const b = auditView(before);
        const a = auditView(after!);
        const changed = (Object.keys(a) as (keyof typeof a)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
        // A change that changes nothing writes no audit entry (DESIGN.md §2 edge case 15).
        if (changed.length > 0) {
          const pick = (o: typeof a) => Object.fromEntries(changed.map((k) => [k, o[k]]));
          await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "webhook.endpoint.update", targetType: "webhook-endpoint", targetId: input.endpointId, before: pick(b), after: pick(a) }], now);
        }
        return toWire({ endpoint: view(after!), outcome: changed.length > 0 ? ("changed" as const) : ("unchanged" as const) });
      });
    }),

  /** Deletes the endpoint with its delivery log; events stay in the outbox for other endpoints. */
  remove: ownerProcedure.input(endpointId).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const before = await loadEndpoint(tx, ctx.accountId, input.endpointId);
      await tx.delete(webhookEndpoints).where(and(eq(webhookEndpoints.accountId, ctx.accountId), eq(webhookEndpoints.id, input.endpointId)));
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "webhook.endpoint.delete", targetType: "webhook-endpoint", targetId: input.endpointId, before: auditView(before) }], now);
      return { id: input.endpointId, deleted: true as const };
    });
  }),

  /** A new secret, shown once; the previous one also signs for 24 hours so receivers can switch. */
  rotateSecret: ownerProcedure.input(endpointId).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    const secret = generateWebhookSecret();
    return ctx.database.db.transaction(async (tx) => {
      const before = await loadEndpoint(tx, ctx.accountId, input.endpointId);
      const previousSecretExpiresAt = new Date(now.getTime() + previousSecretGraceMs);
      await tx
        .update(webhookEndpoints)
        .set({ secret, previousSecret: before.secret, previousSecretExpiresAt, updatedAt: now })
        .where(and(eq(webhookEndpoints.accountId, ctx.accountId), eq(webhookEndpoints.id, input.endpointId)));
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        [{ action: "webhook.endpoint.rotateSecret", targetType: "webhook-endpoint", targetId: input.endpointId, before: { secretHint: secretHint(before.secret) }, after: { secretHint: secretHint(secret), previousSecretExpiresAt } }],
        now,
      );
      return toWire({ id: input.endpointId, secret, shownOnce: true as const, previousSecretExpiresAt });
    });
  }),

  /** The endpoint's delivery log, newest first, paged by cursor, optionally one status. */
  deliveries: consoleProcedure
    .input(endpointId.extend({ status: z.enum(webhookDeliveryStatuses).optional(), cursor: z.string().max(500).nullish(), limit: z.number().int().min(1).max(200).default(deliveryPageSize) }))
    .query(async ({ ctx, input }) => {
      const db = ctx.database.db;
      const after = input.cursor ? decodeCursor(input.cursor, isInstant) : null;
      if (input.cursor && !after) throw new DomainError("INVALID_INPUT", "cursor: not a cursor this list gave out", "cursor");
      const [endpoint] = await db
        .select({ id: webhookEndpoints.id })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.accountId, ctx.accountId), eq(webhookEndpoints.id, input.endpointId)));
      if (!endpoint) throw notFound();
      const rows = await db
        .select({
          id: webhookDeliveries.id,
          eventId: webhookDeliveries.eventId,
          type: webhookEvents.type,
          status: webhookDeliveries.status,
          attempts: webhookDeliveries.attempts,
          nextAttemptAt: webhookDeliveries.nextAttemptAt,
          lastAttemptAt: webhookDeliveries.lastAttemptAt,
          lastResponseCode: webhookDeliveries.lastResponseCode,
          lastError: webhookDeliveries.lastError,
          deliveredAt: webhookDeliveries.deliveredAt,
          createdAt: webhookDeliveries.createdAt,
          key: cursorKey,
        })
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, and(eq(webhookEvents.accountId, webhookDeliveries.accountId), eq(webhookEvents.id, webhookDeliveries.eventId)))
        .where(
          and(
            eq(webhookDeliveries.accountId, ctx.accountId),
            eq(webhookDeliveries.endpointId, input.endpointId),
            input.status ? eq(webhookDeliveries.status, input.status) : undefined,
            after ? sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.id}) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : undefined,
          ),
        )
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(input.limit + 1);
      const page = rows.slice(0, input.limit);
      const last = page.at(-1);
      return toWire({
        items: page.map(({ key: _key, ...r }) => ({ ...r, nextAttemptAt: r.status === "pending" ? r.nextAttemptAt : null })),
        nextCursor: rows.length > input.limit && last ? encodeCursor(last.key, last.id) : null,
      });
    }),

  /** Sends a delivery again (same webhook-id), at once and with a fresh 24-hour retry window. */
  resend: adminProcedure.input(z.object({ deliveryId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId, eventId: webhookDeliveries.eventId, status: webhookDeliveries.status, leaseUntil: webhookDeliveries.leaseUntil, enabled: webhookEndpoints.enabled })
        .from(webhookDeliveries)
        .innerJoin(webhookEndpoints, and(eq(webhookEndpoints.accountId, webhookDeliveries.accountId), eq(webhookEndpoints.id, webhookDeliveries.endpointId)))
        .where(and(eq(webhookDeliveries.accountId, ctx.accountId), eq(webhookDeliveries.id, input.deliveryId)))
        .for("update", { of: webhookDeliveries });
      if (!row) throw new DomainError("NOT_FOUND", "deliveryId: no webhook delivery with this id in this account", "deliveryId");
      if (!row.enabled) throw new DomainError("PRECONDITION_FAILED", "The endpoint is disabled: enable it first, then send again", "deliveryId");
      await tx
        .update(webhookDeliveries)
        .set({ status: "pending", nextAttemptAt: now, firstAttemptAt: null, claimToken: null, leaseUntil: null })
        .where(and(eq(webhookDeliveries.accountId, ctx.accountId), eq(webhookDeliveries.id, input.deliveryId)));
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        [{ action: "webhook.delivery.resend", targetType: "webhook-endpoint", targetId: row.endpointId, before: { deliveryId: row.id, eventId: row.eventId, status: row.status }, after: { status: "pending" } }],
        now,
      );
      return { id: row.id, eventId: row.eventId, status: "pending" as const };
    });
  }),

  /** Queues a `webhook.test` event to this endpoint only; the delivery loop sends it within seconds. */
  sendTest: adminProcedure.input(endpointId).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const endpoint = await loadEndpoint(tx, ctx.accountId, input.endpointId);
      if (!endpoint.enabled) throw new DomainError("PRECONDITION_FAILED", "The endpoint is disabled: enable it first, then send a test event", "endpointId");
      const payload = {
        type: webhookTestEventType,
        timestamp: now.toISOString(),
        data: { accountId: ctx.accountId, endpointId: endpoint.id, sentBy: ctx.session.email, message: "A test event from Seatdesk: your endpoint receives and verifies webhooks." },
      };
      const [event] = await tx.insert(webhookEvents).values({ accountId: ctx.accountId, type: webhookTestEventType, payload, createdAt: now }).returning({ id: webhookEvents.id });
      const [delivery] = await tx
        .insert(webhookDeliveries)
        .values({ accountId: ctx.accountId, endpointId: endpoint.id, eventId: event!.id, nextAttemptAt: now, createdAt: now })
        .returning({ id: webhookDeliveries.id });
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "webhook.endpoint.sendTest", targetType: "webhook-endpoint", targetId: endpoint.id, after: { eventId: event!.id } }], now);
      return { deliveryId: delivery!.id, eventId: event!.id, status: "pending" as const };
    });
  }),
});
