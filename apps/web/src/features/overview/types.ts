import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";

type Api = inferRouterClient<AppRouter>;

/** dashboard.summary as it arrives (instants as ISO strings). */
export type DashboardSummary = Awaited<ReturnType<Api["dashboard"]["summary"]["query"]>>;
/** dashboard.activeUsersByDay as it arrives. */
export type ActiveUsersSeries = Awaited<ReturnType<Api["dashboard"]["activeUsersByDay"]["query"]>>;
/** dashboard.trends as it arrives: the last 12 months, oldest first. */
export type Trends = Awaited<ReturnType<Api["dashboard"]["trends"]["query"]>>;
export type TrendMonth = Trends["months"][number];
