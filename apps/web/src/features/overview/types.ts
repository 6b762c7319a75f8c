import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";

type Api = inferRouterClient<AppRouter>;

/** dashboard.summary as it arrives (instants as ISO strings). */
export type DashboardSummary = Awaited<ReturnType<Api["dashboard"]["summary"]["query"]>>;
/** dashboard.activeUsersByDay as it arrives. */
export type ActiveUsersSeries = Awaited<ReturnType<Api["dashboard"]["activeUsersByDay"]["query"]>>;
