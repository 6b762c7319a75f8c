import type { IsolationCase } from "./types";

/** The activity report (issue 15): another account's profile is NOT_FOUND. The CSV download's case is in reports.test.ts (HTTP). */
export const reportsCases: IsolationCase[] = [
  { path: "reports.activity", call: (api, t) => api.reports.activity({ profileId: t.profileId, from: "2026-01-01", to: "2026-01-08" }), expectCode: "NOT_FOUND" },
];
