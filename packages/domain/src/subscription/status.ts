/** Subscription statuses of DESIGN.md §2. Groups have no status. */
export const subscriptionStatuses = ["pending", "active", "canceled"] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

