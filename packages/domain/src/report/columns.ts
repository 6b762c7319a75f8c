/**
 * The user activity report's columns (issue 15, "User activity report"). The list is versioned: a column is
 * only ever added at the end, with the version that added it, never removed, renamed or reordered, so a
 * reader written for version N keeps reading every later file by position or by name. The manifest and the
 * API say which version a file or page was written with.
 */
export const activityReportColumns = [
  { name: "date", since: 1 },
  { name: "profile_id", since: 1 },
  { name: "user_id", since: 1 },
  { name: "user_name", since: 1 },
  { name: "email", since: 1 },
  { name: "client", since: 1 },
  { name: "events", since: 1 },
  { name: "credits_used", since: 1 },
  { name: "included_credits", since: 1 },
  { name: "overage_credits", since: 1 },
  { name: "unbilled_credits", since: 1 },
  { name: "tier", since: 1 },
  { name: "status", since: 1 },
  { name: "overage_enabled", since: 1 },
  { name: "overage_cap", since: 1 },
  { name: "new_user", since: 1 },
  { name: "last_active", since: 1 },
] as const;

export type ActivityReportColumn = (typeof activityReportColumns)[number]["name"];

/** The newest column version: the highest `since` of the list. */
export const activityReportColumnVersion = 1;

/**
 * A subscription's status as the report shows it: the three statuses of DESIGN.md §2, `ended` for history
 * (edge case 13: access over), `none` when the profile holds no subscription for the user any more.
 */
export const reportStatuses = ["pending", "active", "canceled", "ended", "none"] as const;
export type ReportStatus = (typeof reportStatuses)[number];

/** One row: one profile, one UTC day, one user, one client. Credits in integer hundredths (centicredits). */
export interface ActivityRow {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  profileId: string;
  userId: string;
  userName: string;
  email: string;
  client: string;
  events: number;
  /** included + overage + unbilled. */
  creditsCc: number;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
  /** The tier in force when the row was produced; null without a subscription. */
  tier: string | null;
  status: ReportStatus;
  /** Whether overage is allowed for the user: their switch, else the profile's setting. */
  overageEnabled: boolean;
  /** The overage cap in force, in centicredits, or "unlimited". */
  overageCapCc: number | "unlimited";
  newUser: boolean;
  /** ISO instant, or null when never active. */
  lastActiveAt: string | null;
}
