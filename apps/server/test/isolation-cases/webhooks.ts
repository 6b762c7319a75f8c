import { and, eq } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "@seatdesk/db";
import type { Tenant } from "../harness";
import type { IsolationCase, World } from "./types";

/**
 * Webhooks (issue 15): the calls name an endpoint or a delivery of the target account. One is put there
 * for the call alone (rows only, no audit entry) and taken away after it, after checking the call left it
 * exactly as it was, so the target's fingerprint compares what the call itself did.
 */
async function withTargetEndpoint<T>(w: World, t: Tenant, call: (ids: { endpointId: string; deliveryId: string }) => Promise<T>): Promise<T> {
  const db = w.h.database.db;
  const [endpoint] = await db
    .insert(webhookEndpoints)
    .values({ accountId: t.accountId, url: "https://hooks.example.com/in", secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", createdBy: "isolation" })
    .returning();
  const [event] = await db.insert(webhookEvents).values({ accountId: t.accountId, type: "webhook.test", payload: {} }).returning();
  const [delivery] = await db.insert(webhookDeliveries).values({ accountId: t.accountId, endpointId: endpoint!.id, eventId: event!.id, status: "delivered" }).returning();
  const snapshot = async () =>
    JSON.stringify([
      await db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.accountId, t.accountId), eq(webhookEndpoints.id, endpoint!.id))),
      await db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.accountId, t.accountId), eq(webhookDeliveries.endpointId, endpoint!.id))),
      await db.select({ id: webhookEvents.id }).from(webhookEvents).where(eq(webhookEvents.accountId, t.accountId)),
    ]);
  const before = await snapshot();
  try {
    return await call({ endpointId: endpoint!.id, deliveryId: delivery!.id });
  } finally {
    const after = await snapshot();
    await db.delete(webhookEndpoints).where(and(eq(webhookEndpoints.accountId, t.accountId), eq(webhookEndpoints.id, endpoint!.id)));
    await db.delete(webhookEvents).where(and(eq(webhookEvents.accountId, t.accountId), eq(webhookEvents.id, event!.id)));
    if (after !== before) throw new Error("the call changed the target account's webhook endpoint, deliveries or events");
  }
}

export const webhooksCases: IsolationCase[] = [
  { path: "webhooks.list", call: (api) => api.webhooks.list(), sessionScoped: true },
  {
    path: "webhooks.create",
    call: (api) => api.webhooks.create({ url: "https://hooks.example.com/isolation", eventTypes: ["invoice.finalized"] }),
    sessionScoped: true,
  },
  { path: "webhooks.update", call: (api, t, w) => withTargetEndpoint(w, t, ({ endpointId }) => api.webhooks.update({ endpointId, enabled: false, url: "https://evil.example.com/" })) },
  { path: "webhooks.remove", call: (api, t, w) => withTargetEndpoint(w, t, ({ endpointId }) => api.webhooks.remove({ endpointId })) },
  { path: "webhooks.rotateSecret", call: (api, t, w) => withTargetEndpoint(w, t, ({ endpointId }) => api.webhooks.rotateSecret({ endpointId })) },
  { path: "webhooks.deliveries", call: (api, t, w) => withTargetEndpoint(w, t, ({ endpointId }) => api.webhooks.deliveries({ endpointId })) },
  { path: "webhooks.resend", call: (api, t, w) => withTargetEndpoint(w, t, ({ deliveryId }) => api.webhooks.resend({ deliveryId })) },
  { path: "webhooks.sendTest", call: (api, t, w) => withTargetEndpoint(w, t, ({ endpointId }) => api.webhooks.sendTest({ endpointId })) },
];
