import { sql, type SQL } from "drizzle-orm";
import type { TierId } from "@seatdesk/domain";
import { subscriptionMonths, subscriptions } from "./schema/index";

/**
 * The domain's inForce (DESIGN.md §2, "Transitions are effective-dated") in SQL: the one home of every
 * filter, count and transition that asks which tier is in force or whether a subscription has ended, for
 * reads over many rows where loading each subscription into the domain would not scale. Nothing else
 * restates these rules in SQL: the Users and Groups tabs, the dashboard, the coverage report, the bill of
 * a period and the month close all build on these fragments.
 *
 * rules-sql.test.ts proves each fragment equal to the domain: random stored rows (any status, tiers,
 * scheduled change, access end, activation; no subscription at all), random instants, a real database.
 *
 * Each fragment reads the columns of one subscription row: the drizzle table `subscriptions` by default
 * (`"subscriptions"."tier"`), or an alias in a raw statement (subscriptionColumns("s")). An instant is one
 * parameter (`$n::timestamptz`), so a prepared statement keeps one text whatever the instant.
 */

/** The columns of a subscription row, as a statement names them. */
export interface SubscriptionColumns {
  userId: SQL;
  tier: SQL;
  status: SQL;
  scheduledTier: SQL;
  scheduledAt: SQL;
  accessEndsAt: SQL;
}

const table: SubscriptionColumns = {
  userId: sql`${subscriptions.userId}`,
  tier: sql`${subscriptions.tier}`,
  status: sql`${subscriptions.status}`,
  scheduledTier: sql`${subscriptions.scheduledTier}`,
  scheduledAt: sql`${subscriptions.scheduledAt}`,
  accessEndsAt: sql`${subscriptions.accessEndsAt}`,
};

/** The columns of `subscriptions` under an alias (`from subscriptions s`); unqualified with none (`update subscriptions`). */
export function subscriptionColumns(alias?: string): SubscriptionColumns {
  if (alias === undefined) return table;
  if (alias !== "" && !/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`not a table alias: ${alias}`);
  const c = (name: string) => sql.raw(alias === "" ? name : `${alias}.${name}`);
  return {
    userId: c("user_id"),
    tier: c("tier"),
    status: c("status"),
    scheduledTier: c("scheduled_tier"),
    scheduledAt: c("scheduled_at"),
    accessEndsAt: c("access_ends_at"),
  };
}

const instant = (at: Date) => sql`${at.toISOString()}::timestamptz`;

/**
 * The subscription is in force at `at`: inForce(sub, at) is not null. False once a cancel's access end has
 * come (the subscription has ended: history, not current). Only for a row that exists; a left join's
 * missing row is asked with userListStatusFilter.
 */
export function inForceAt(at: Date, c: SubscriptionColumns = table): SQL<boolean> {
  return sql<boolean>`(${c.status} <> 'canceled' or ${c.accessEndsAt} is null or ${c.accessEndsAt} > ${instant(at)})`;
}

/** The scheduled change has come by `at`: inForce(sub, at) applies it (where the subscription is in force). */
export function scheduledChangeDue(at: Date, c: SubscriptionColumns = table): SQL<boolean> {
  return sql<boolean>`(${c.scheduledTier} is not null and ${c.scheduledAt} <= ${instant(at)})`;
}

/** inForce(sub, at).tier: the scheduled tier once its date has come, else the stored one. Meaningful where inForceAt holds. */
export function tierInForce(at: Date, c: SubscriptionColumns = table): SQL<TierId> {
  return sql<TierId>`(case when ${scheduledChangeDue(at, c)} then ${c.scheduledTier} else ${c.tier} end)`;
}

/**
 * The tier whose credits are the month's allowance (the domain's allowanceOf, edge case 4): the ledger's fee
 * tier (the highest held while Active), else for a user never Active in the month the tier in force at `at`.
 * `feeTier` is the month's ledger column (subscription_months by default).
 */
export function allowanceTier(at: Date, feeTier: SQL = sql`${subscriptionMonths.feeTier}`, c: SubscriptionColumns = table): SQL<TierId> {
  return sql<TierId>`coalesce(${feeTier}, ${tierInForce(at, c)})`;
}

/** inForce(sub, at).scheduledTier is not null: a change still waiting at `at` (the Users tab's "scheduled for the 1st"). */
export function changeScheduledAt(at: Date, c: SubscriptionColumns = table): SQL<boolean> {
  return sql<boolean>`(${inForceAt(at, c)} and ${c.scheduledTier} is not null and (${c.scheduledAt} is null or ${c.scheduledAt} > ${instant(at)}))`;
}

/** In force at `at` as Pending or Active: a subscription that covers its user (the coverage report). */
export function pendingOrActive(c: SubscriptionColumns = table): SQL<boolean> {
  // inForce only ever ends a Canceled subscription, so a Pending or Active row is in force at every instant.
  return sql<boolean>`(${c.status} in ('pending', 'active'))`;
}

/**
 * Ended within [from, to): in force at `from`, not at `to` (the month close's count of subscriptions that
 * ended in the month it closes; each ending is counted in exactly one month).
 */
export function endedWithin(from: Date, to: Date, c: SubscriptionColumns = table): SQL<boolean> {
  return sql<boolean>`(${inForceAt(from, c)} and not ${inForceAt(to, c)})`;
}

/**
 * The month close writes down what inForce already applies at `at` (the start of the next month): for every
 * row of `scope` in force then whose scheduled change has come, the scheduled tier becomes the stored tier.
 * Afterwards inForce(row, t) is what it was for every t ≥ at; ended rows are left as they are (history).
 * Returns the profile of each row it changed.
 */
export function writeDownScheduledChanges(scope: SQL, at: Date, now: Date): SQL {
  const c = subscriptionColumns("");
  return sql`
    update subscriptions set tier = ${tierInForce(at, c)}, scheduled_tier = null, scheduled_at = null, updated_at = ${instant(now)}
    where ${scope} and ${scheduledChangeDue(at, c)} and ${inForceAt(at, c)}
    returning profile_id`;
}

/** The Users tab's status filter: the three statuses of DESIGN.md §2, ended history, any current subscription, or none. */
export const userListStatuses = ["active", "pending", "canceled", "ended", "subscribed", "unsubscribed"] as const;
export type UserListStatus = (typeof userListStatuses)[number];

/**
 * The Users tab's status filter over a left join (no row: no subscription in the profile), with the domain's
 * meaning at `at`, where s is the stored row and f = inForce(s, at):
 * - active / pending / canceled: f.status is that status (a Canceled one whose access has not ended yet);
 * - ended: s exists and f is null (history: shown in every later month until subscribed again, edge case 13);
 * - subscribed: f is not null; unsubscribed: no s, or f is null.
 */
export function userListStatusFilter(status: UserListStatus, at: Date, c: SubscriptionColumns = table): SQL<boolean> {
  const current = inForceAt(at, c);
  switch (status) {
    case "active":
    case "pending":
      return sql<boolean>`(${c.status} = ${status})`;
    case "canceled":
      return sql<boolean>`(${c.status} = 'canceled' and ${current})`;
    case "ended":
      return sql<boolean>`(${c.status} = 'canceled' and not ${current})`;
    case "subscribed":
      return sql<boolean>`(${c.userId} is not null and ${current})`;
    case "unsubscribed":
      return sql<boolean>`(${c.userId} is null or not ${current})`;
  }
}
