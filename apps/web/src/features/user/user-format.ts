import { subscriptionStatuses, type Catalog, type SubscriptionStatus } from "@seatdesk/domain";
import { formatCredits, formatUtc, statusLabels } from "../../lib/format";
import { isCatalogTier, overagePrice, tierName } from "../catalog/catalog";

const day = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
const month = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "long", timeZone: "UTC" });

/** "Feb 1, 2027": a day in UTC, for changes that happen at 00:00 UTC on the 1st (the billing month's zone). */
export function formatDayUtc(iso: string): string {
  return day.format(new Date(iso));
}

/** The month's first instant and the next month's, from a period id ("2026-11"). */
function periodBounds(periodId: string): { start: Date; end: Date } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(periodId);
  if (!m) return null;
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  return { start: new Date(Date.UTC(year, index, 1)), end: new Date(Date.UTC(year, index + 1, 1)) };
}

/** "November 2026" from "2026-11" (the id itself when it is not one). */
export function formatPeriod(periodId: string): string {
  const bounds = periodBounds(periodId);
  return bounds ? month.format(bounds.start) : periodId;
}

/** When the period ends: 00:00 UTC on the 1st of the next month, as an ISO string. */
export function periodEndIso(periodId: string): string | null {
  return periodBounds(periodId)?.end.toISOString() ?? null;
}

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** Centicredits as a bare number of credits: "1,234.5". */
export function creditsNumber(cc: number): string {
  return number.format(cc / 100);
}

/**
 * A notice in plain words (the usage path writes them as a user's month crosses a threshold: issue 5,
 * "Limits and notices"). Unknown kinds are shown as they are rather than hidden.
 */
export function describeNotice(catalog: Catalog, kind: string): { title: string; body: string; tone: "info" | "warn" } {
  switch (kind) {
    case "allowance-80":
      return { title: "Used 80% of the month's allowance", body: "Most of the credits included in their plan this month are gone.", tone: "info" };
    case "allowance-100":
      return {
        title: "Used all of the month's allowance",
        body: "Further use is billed as overage where overage is allowed for them; otherwise paid features are blocked until the 1st.",
        tone: "warn",
      };
    case "overage-started":
      return { title: "Started using overage", body: `Credits past the allowance are billed at ${overagePrice(catalog)} a credit.`, tone: "warn" };
    case "cap-reached":
      return {
        title: "Reached their overage cap",
        body: "No more overage is accepted for them this month: paid features are blocked until the 1st or until the cap is raised.",
        tone: "warn",
      };
    case "budget-reached":
      return {
        title: "Used the last of the profile's overage budget",
        body: "Their usage took the profile's monthly overage to its budget: no more overage is accepted for anyone in the profile this month.",
        tone: "warn",
      };
    case "access-ended":
      return { title: "Access ended", body: "Their subscription's access ended with the month; it stays in the history.", tone: "info" };
    case "idle-warning":
      return { title: "Warned as idle", body: "", tone: "warn" };
    case "allowance-reset":
      return { title: "Allowance reset for the new month", body: "", tone: "info" };
    default:
      return { title: kind, body: "", tone: "info" };
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStatus = (v: unknown): v is SubscriptionStatus => typeof v === "string" && (subscriptionStatuses as readonly string[]).includes(v);

/** A subscription as the audit log stored it, in a few words: "Pro+, Active, moving to Pro on Feb 1, 2027". */
export function describeSubscription(catalog: Catalog, value: unknown): string {
  if (!isRecord(value)) return "Not subscribed";
  const parts: string[] = [];
  if (isCatalogTier(catalog, value.tier)) parts.push(tierName(catalog, value.tier));
  if (isStatus(value.status)) parts.push(statusLabels[value.status]);
  if (isCatalogTier(catalog, value.scheduledTier) && typeof value.scheduledAt === "string") parts.push(`moving to ${tierName(catalog, value.scheduledTier)} on ${formatDayUtc(value.scheduledAt)}`);
  if (value.status === "canceled" && typeof value.accessEndsAt === "string") parts.push(`access until ${formatUtc(value.accessEndsAt)}`);
  return parts.join(", ") || "Subscription";
}

function tierOf(catalog: Catalog, value: unknown): string {
  return isRecord(value) && isCatalogTier(catalog, value.tier) ? tierName(catalog, value.tier) : "None";
}

function capOf(value: unknown): string {
  if (value === "unlimited") return "unlimited";
  if (typeof value === "number") return formatCredits(value * 100);
  return String(value);
}

const overageSwitchLabels: Record<string, string> = { inherit: "overage as the profile", on: "overage on", off: "overage off" };

/** A user's override as the audit stored it: "Cap 200 credits, overage as the profile". */
function limitsOf(value: unknown): string {
  if (!isRecord(value)) return "None";
  const cap = value.cap === null || value.cap === undefined ? "No cap override" : `Cap ${capOf(value.cap)}`;
  const overage = typeof value.overage === "string" ? (overageSwitchLabels[value.overage] ?? `overage ${value.overage}`) : "overage as the profile";
  return `${cap}, ${overage}`;
}

/** One audit entry about a user, as "what" and "before → after" in plain words. */
export function describeAudit(catalog: Catalog, action: string, before: unknown, after: unknown): { what: string; before: string | null; after: string | null } {
  switch (action) {
    case "assignment.subscribe":
      return { what: "Subscribed directly", before: tierOf(catalog, before), after: tierOf(catalog, after) };
    case "assignment.change-plan":
      return { what: "Plan changed (direct assignment)", before: tierOf(catalog, before), after: tierOf(catalog, after) };
    case "assignment.unsubscribe":
      return { what: "Plan deactivated (direct assignment)", before: tierOf(catalog, before), after: tierOf(catalog, after) };
    case "subscription.changed":
      return { what: "Subscription updated", before: describeSubscription(catalog, before), after: describeSubscription(catalog, after) };
    case "subscription.group-membership": {
      const b = isRecord(before) ? before.subscription : null;
      const a = isRecord(after) ? after.subscription : null;
      return { what: "Subscription updated by a group membership change", before: describeSubscription(catalog, b), after: describeSubscription(catalog, a) };
    }
    case "settings.setUserOverride":
      return { what: "Overage limits changed", before: limitsOf(before), after: limitsOf(after) };
    case "directory.user.create":
      return { what: "Added to the directory", before: null, after: null };
    default:
      return { what: action, before: before === null || before === undefined ? null : JSON.stringify(before), after: after === null || after === undefined ? null : JSON.stringify(after) };
  }
}
