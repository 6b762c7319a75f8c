import { lazy } from "react";

/**
 * The console's pages, by the `page` query parameter (so a page survives a reload and can be shared).
 * Users & Groups is in the first bundle; the others load when first opened.
 */
export const pages = [
  { id: "users", label: "Users & Groups", section: "Subscriptions" },
  { id: "overview", label: "Subscriptions overview", section: "Subscriptions" },
  { id: "coverage", label: "Directory sync", section: "Subscriptions" },
  { id: "reports", label: "Reports", section: "Subscriptions" },
  { id: "rightsizing", label: "Right-sizing", section: "Subscriptions" },
  { id: "billing", label: "Billing", section: "Account" },
  { id: "settings", label: "Settings", section: "Account" },
  { id: "audit", label: "Audit log", section: "Account" },
  { id: "admins", label: "Admins", section: "Account" },
  { id: "webhooks", label: "Webhooks", section: "Account" },
] as const;

export type PageId = (typeof pages)[number]["id"] | "user";

export const pageIdOf = (value: string | null): PageId =>
  value === "user" || pages.some((p) => p.id === value) ? (value as PageId) : "users";

export const OverviewPage = lazy(() => import("../features/overview/OverviewPage").then((m) => ({ default: m.OverviewPage })));
export const BillingPage = lazy(() => import("../features/billing/BillingPage").then((m) => ({ default: m.BillingPage })));
export const SettingsPage = lazy(() => import("../features/settings/SettingsPage").then((m) => ({ default: m.SettingsPage })));
export const AuditPage = lazy(() => import("../features/audit/AuditPage").then((m) => ({ default: m.AuditPage })));
export const ReportsPage = lazy(() => import("../features/reports/ReportsPage").then((m) => ({ default: m.ReportsPage })));
export const CoveragePage = lazy(() => import("../features/directory-sync/CoveragePage").then((m) => ({ default: m.CoveragePage })));
export const RightSizingPage = lazy(() => import("../features/rightsizing/RightSizingPage").then((m) => ({ default: m.RightSizingPage })));
/** Account-wide, so it opens in any region, with or without a profile there. */
export const AdminsPage = lazy(() => import("../features/admins/AdminsPage").then((m) => ({ default: m.AdminsPage })));
/** Account-wide too: endpoints belong to the account, not to a region. */
export const WebhooksPage = lazy(() => import("../features/webhooks/WebhooksPage").then((m) => ({ default: m.WebhooksPage })));
export const UserPage = lazy(() => import("../features/user/UserPage").then((m) => ({ default: m.UserPage })));
