import type { IsolationCase } from "./types";

export const dashboardCases: IsolationCase[] = [
  { path: "dashboard.summary", call: (api, t) => api.dashboard.summary({ profileId: t.profileId }) },
  { path: "dashboard.activeUsersByDay", call: (api, t) => api.dashboard.activeUsersByDay({ profileId: t.profileId }) },
];
