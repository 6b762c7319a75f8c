import type { IsolationCase } from "./types";

/** Idle seats (issue 15): the view and the settings preview take a profile; another account's is NOT_FOUND. */
export const idleCases: IsolationCase[] = [
  { path: "idle.list", call: (api, t) => api.idle.list({ profileId: t.profileId, days: 1 }) },
  { path: "settings.previewIdle", call: (api, t) => api.settings.previewIdle({ profileId: t.profileId, idleWarnDays: 1, idleDeactivateDays: 1, idleExpireDays: 1 }) },
];
