import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";

type Api = inferRouterClient<AppRouter>["webhooks"];
export type EndpointRow = Awaited<ReturnType<Api["list"]["query"]>>["endpoints"][number];
export type DeliveryRow = Awaited<ReturnType<Api["deliveries"]["query"]>>["items"][number];

/** "notice.allowance-80" → "Notice: allowance 80%"; the API's type stays visible beside it in the table. */
export const eventTypeLabels: Record<string, string> = {
  "notice.*": "Every notice (including new kinds)",
  "notice.allowance-80": "Notice: 80% of the allowance used",
  "notice.allowance-100": "Notice: allowance used up",
  "notice.overage-started": "Notice: overage started",
  "notice.cap-reached": "Notice: overage cap reached",
  "notice.budget-reached": "Notice: profile budget reached",
  "notice.allowance-reset": "Notice: allowances reset for the month",
  "notice.access-ended": "Notice: access ended",
  "notice.idp-deactivated": "Notice: identity provider deactivated a user",
  "notice.idp-deleted": "Notice: identity provider deleted a user",
  "notice.idle-warning": "Notice: seat idle (warning)",
  "subscription.changed": "Subscription changed",
  "identity.user.changed": "Identity provider: user changed",
  "identity.group.changed": "Identity provider: group changed",
  "invoice.finalized": "Invoice finalized",
  "report.ready": "Daily activity report ready",
};

export const deliveryStatusLabel = { pending: "Pending", delivered: "Delivered", failed: "Failed" } as const;
export const deliveryBadge = { pending: "badge-pending", delivered: "badge-active", failed: "badge-canceled" } as const;
