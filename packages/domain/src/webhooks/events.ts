/**
 * The webhook events an endpoint can subscribe to (issue 15, "Webhooks"). Each is written to the outbox in
 * the same transaction as the change it reports. `notice.*` is every notice, including kinds added after
 * the endpoint was set up; an endpoint with no types listed receives every event.
 */
export const webhookEventTypes = [
  "notice.*",
  "notice.allowance-80",
  "notice.allowance-100",
  "notice.overage-started",
  "notice.cap-reached",
  "notice.budget-reached",
  "notice.allowance-reset",
  "notice.access-ended",
  "notice.idp-deactivated",
  "notice.idp-deleted",
  "notice.idle-warning",
  "subscription.changed",
  "identity.user.changed",
  "identity.group.changed",
  "invoice.finalized",
  "report.ready",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** Sent only by "Send test event", to the one endpoint asked; never subscribed to. */
export const webhookTestEventType = "webhook.test";

/**
 * Whether an endpoint subscribed to `subscribed` receives an event of `type`: everything when the list is
 * empty, else an exact type or the `notice.*` family. The outbox triggers ask the same question in SQL
 * (migration 0015: `cardinality(event_types) = 0 or type = any(event_types) or …`); webhooks.test.ts shows both agree.
 */
export function endpointWants(subscribed: readonly string[], type: string): boolean {
  if (subscribed.length === 0) return true;
  if (subscribed.includes(type)) return true;
  return type.startsWith("notice.") && subscribed.includes("notice.*");
}
