import type { IsolationCase } from "./types";

export const trendsCases: IsolationCase[] = [{ path: "dashboard.trends", call: (api, t) => api.dashboard.trends({ profileId: t.profileId }) }];
