import type { IsolationCase } from "./types";

/** Reconciliation (issue 8): another account's profile is NOT_FOUND; a viewer reads but cannot repair. */
export const coverageCases: IsolationCase[] = [
  { path: "coverage.report", call: (api, t) => api.coverage.report({ profileId: t.profileId }), expectCode: "NOT_FOUND" },
  { path: "coverage.repair", call: (api, t) => api.coverage.repair({ profileId: t.profileId }), expectCode: "NOT_FOUND" },
];
