import { describe, expect, it } from "vitest";
import { activityReportColumns, activityReportColumnVersion } from "./columns";

describe("activityReportColumns: versioned, only ever added to (issue 15)", () => {
  it("version 1 is exactly these columns, in this order (a change here breaks every reader of old files)", () => {
    expect(activityReportColumns.filter((c) => c.since <= 1).map((c) => c.name)).toEqual([
      "date",
      "profile_id",
      "user_id",
      "user_name",
      "email",
      "client",
      "events",
      "credits_used",
      "included_credits",
      "overage_credits",
      "unbilled_credits",
      "tier",
      "status",
      "overage_enabled",
      "overage_cap",
      "new_user",
      "last_active",
    ]);
  });

  it("the version is the highest `since`, names are unique, and versions never decrease down the list", () => {
    expect(activityReportColumnVersion).toBe(Math.max(...activityReportColumns.map((c) => c.since)));
    expect(new Set(activityReportColumns.map((c) => c.name)).size).toBe(activityReportColumns.length);
    const since = activityReportColumns.map((c) => c.since);
    expect(since).toEqual([...since].sort((a, b) => a - b));
  });
});
