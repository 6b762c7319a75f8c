import { pgEnum } from "drizzle-orm/pg-core";
import { cancelAccessModes, firstMonthModes, overageSwitches, subscriptionStatuses, tierIds } from "@seatdesk/domain";

/** Each pg enum derives from the domain's tuple, so type, validation and column cannot drift. */
export const tierEnum = pgEnum("tier", tierIds);
export const subscriptionStatusEnum = pgEnum("subscription_status", subscriptionStatuses);
export const cancelAccessEnum = pgEnum("cancel_access", cancelAccessModes);
export const adminRoles = ["owner", "admin", "viewer"] as const;
export type AdminRole = (typeof adminRoles)[number];
export const adminRoleEnum = pgEnum("admin_role", adminRoles);
export const firstMonthEnum = pgEnum("first_month", firstMonthModes);
export const overageSwitchEnum = pgEnum("overage_switch", overageSwitches);
