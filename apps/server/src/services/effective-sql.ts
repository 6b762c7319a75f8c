import { sql, type SQL } from "drizzle-orm";
import { subscriptions } from "@seatdesk/db";

/**
 * SQL forms of the domain's inForce (DESIGN.md §2, "Transitions are effective-dated"), for filters and
 * counts over many rows where loading each subscription into the domain would not scale. They must
 * say exactly what inForce says; test/users-tab-filters.test.ts checks them against it.
 */
export function tierInForce(now: Date): SQL {
  return sql`(case when ${subscriptions.scheduledTier} is not null and ${subscriptions.scheduledAt} <= ${now.toISOString()}::timestamptz then ${subscriptions.scheduledTier} else ${subscriptions.tier} end)`;
}

/** The subscription has not ended: not a cancel whose access end has come. */
export function currentSubscription(now: Date): SQL {
  return sql`(${subscriptions.status} <> 'canceled' or ${subscriptions.accessEndsAt} is null or ${subscriptions.accessEndsAt} > ${now.toISOString()}::timestamptz)`;
}

export const userListStatuses = ["active", "pending", "canceled", "ended", "subscribed", "unsubscribed"] as const;
export type UserListStatus = (typeof userListStatuses)[number];

/** Users tab status filter: the three statuses of DESIGN.md §2, plus ended history, any current subscription, or none. */
export function statusFilter(status: UserListStatus, now: Date): SQL {
  const current = currentSubscription(now);
  switch (status) {
    case "active":
    case "pending":
      return sql`${subscriptions.status} = ${status}`;
    case "canceled":
      return sql`(${subscriptions.status} = 'canceled' and ${current})`;
    case "ended":
      return sql`(${subscriptions.status} = 'canceled' and not ${current})`;
    case "subscribed":
      return sql`(${subscriptions.userId} is not null and ${current})`;
    case "unsubscribed":
      return sql`(${subscriptions.userId} is null or not ${current})`;
  }
}
