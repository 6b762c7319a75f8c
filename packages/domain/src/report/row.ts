import { overageAllowed, resolveUserCap, type Cap, type OverageSwitch } from "../usage/limits";
import { inForce, type Subscription } from "../subscription/subscription";
import type { ActivityRow, ReportStatus } from "./columns";
import { dayOf } from "./days";

/** One user's events of one day and client, summed as each event was split when recorded (DESIGN.md §2 "An event is split in order"). */
export interface DayClientUsage {
  day: string;
  userId: string;
  client: string;
  events: number;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
}

/** What the report says about the user besides their usage: the facts in force when the row is produced. */
export interface ReportUserFacts {
  profileId: string;
  userName: string;
  email: string;
  /** The stored subscription; null when the profile holds none for the user. */
  subscription: Subscription | null;
  profileOveragesEnabled: boolean;
  overageSwitch: OverageSwitch;
  /** The cap overrides (edge case 5): the user's own, their groups', the profile default; null = no override. */
  userCap: Cap | null;
  groupCaps: readonly Cap[];
  profileDefaultCap: Cap | null;
}

/**
 * The report's status: the subscription in force at `now` (inForce), `ended` when its access is over (edge case
 * 13: history, not current), `none` without a subscription.
 */
export function reportStatusOf(subscription: Subscription | null, now: Date): { status: ReportStatus; tier: string | null } {
  if (!subscription) return { status: "none", tier: null };
  const current = inForce(subscription, now);
  if (!current) return { status: "ended", tier: subscription.tier };
  return { status: current.status, tier: current.tier };
}

/**
 * "New user" on a day (issue 15; decided here): the user's subscription in this profile was activated (first
 * sign-in or first use, DESIGN.md §2 "Active") on that UTC day. A subscription that ended and was activated
 * again counts as new on the day of the new activation.
 */
export function isNewUserOn(activatedAt: Date | null, day: string): boolean {
  return activatedAt !== null && dayOf(activatedAt) === day;
}

/** The columns of a row that depend on the user and the day, not on the client (the same for each of the user's clients). */
export type ActivityUserColumns = Pick<ActivityRow, "profileId" | "userName" | "email" | "tier" | "status" | "overageEnabled" | "overageCapCc" | "newUser" | "lastActiveAt">;

/**
 * The user's columns on `day` (issue 15 "User activity report"): the subscription's tier and status, the
 * overage setting and the cap in force (the domain's overageAllowed and resolveUserCap: the same rules the
 * usage API splits events by) as they stand at `now`, "new user" and "last active". They do not depend on
 * the client, so a reader may decide them once per user and day and give them to each of the user's rows.
 */
export function activityUserColumnsOf(facts: ReportUserFacts, day: string, now: Date): ActivityUserColumns {
  const { status, tier } = reportStatusOf(facts.subscription, now);
  return {
    profileId: facts.profileId,
    userName: facts.userName,
    email: facts.email,
    tier,
    status,
    overageEnabled: overageAllowed(facts.profileOveragesEnabled, facts.overageSwitch),
    overageCapCc: resolveUserCap({ userOverride: facts.userCap, groupOverrides: facts.groupCaps, profileDefault: facts.profileDefaultCap }),
    newUser: isNewUserOn(facts.subscription?.activatedAt ?? null, day),
    lastActiveAt: facts.subscription?.lastActiveAt?.toISOString() ?? null,
  };
}

/** A row from the day's usage of one client and the user's columns for that day (activityUserColumnsOf). */
export function activityRowWith(usage: DayClientUsage, user: ActivityUserColumns): ActivityRow {
  return {
    day: usage.day,
    profileId: user.profileId,
    userId: usage.userId,
    userName: user.userName,
    email: user.email,
    client: usage.client,
    events: usage.events,
    creditsCc: usage.includedCc + usage.overageCc + usage.unbilledCc,
    includedCc: usage.includedCc,
    overageCc: usage.overageCc,
    unbilledCc: usage.unbilledCc,
    tier: user.tier,
    status: user.status,
    overageEnabled: user.overageEnabled,
    overageCapCc: user.overageCapCc,
    newUser: user.newUser,
    lastActiveAt: user.lastActiveAt,
  };
}

/** One report row (issue 15 "User activity report"): the day's usage for one user and client with the user's columns as they stand at `now`. */
export function activityRowOf(usage: DayClientUsage, facts: ReportUserFacts, now: Date): ActivityRow {
  return activityRowWith(usage, activityUserColumnsOf(facts, usage.day, now));
}
