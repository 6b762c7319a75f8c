import type { IsolationCase } from "./types";

export const forecastsCases: IsolationCase[] = [
  { path: "forecasts.user", call: (api, t) => api.forecasts.user({ profileId: t.profileId, userId: t.userIds[0]! }) },
  // One's own profile with the other account's user: still NOT_FOUND (the user is looked up in the session's account).
  { path: "forecasts.user", call: (api, t, w) => api.forecasts.user({ profileId: w.mine.profileId, userId: t.userIds[0]! }) },
  { path: "forecasts.profile", call: (api, t) => api.forecasts.profile({ profileId: t.profileId }) },
  { path: "forecasts.rightSizing", call: (api, t) => api.forecasts.rightSizing({ profileId: t.profileId }) },
];
