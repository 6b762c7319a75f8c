import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "../src/router";

type PageInput = inferRouterInputs<AppRouter>["subscriptions"]["list"];

/**
 * The Users tab's filtered and sorted views that bench:console mixes in (issue 15: the idle-seat and forecast
 * filters keep the tab's p95 under 20 ms at 100,000 users): idle, never active, runs out this month, and the
 * three sorts in both directions. A client opens a view and follows its nextCursor for a few pages.
 */
export const consoleViews: Omit<PageInput, "profileId" | "cursor">[] = [
  { lastActive: { kind: "idle", days: 30 } },
  { lastActive: { kind: "idle", days: 7 }, sort: "lastActive", order: "asc" },
  { lastActive: { kind: "never" } },
  { lastActive: { kind: "within", days: 7 }, sort: "creditsUsed", order: "desc" },
  { runsOutThisMonth: true },
  { runsOutThisMonth: true, sort: "creditsUsed", order: "desc" },
  { sort: "lastActive", order: "desc" },
  { sort: "lastActive", order: "asc" },
  { sort: "creditsUsed", order: "desc" },
  { sort: "creditsUsed", order: "asc" },
  { sort: "name", order: "desc" },
];

/** Pages of one view a client follows before opening another. */
export const viewChainPages = 5;
