import { adminsRouter } from "./admins";
import { auditRouter } from "./audit";
import { billingRouter } from "./billing";
import { catalogRouter } from "./catalog";
import { clockRouter } from "./clock";
import { coverageRouter } from "./coverage";
import { forecastsRouter } from "./forecasts";
import { dashboardRouter } from "./dashboard";
import { directoryRouter } from "./directory";
import { idleRouter } from "./idle";
import { keysRouter } from "./keys";
import { usageRouter } from "./usage";
import { profilesRouter } from "./profiles";
import { reportsRouter } from "./reports";
import { scimTokensRouter } from "./scim-tokens";
import { sessionRouter } from "./session";
import { settingsRouter } from "./settings";
import { subscriptionsRouter } from "./subscriptions";
import { webhooksRouter } from "./webhooks";
import { router } from "../trpc/init";

/** One router per area (DESIGN.md §4). Every procedure must have a case in test/isolation-cases. */
export const appRouter = router({
  session: sessionRouter,
  admins: adminsRouter,
  catalog: catalogRouter,
  profiles: profilesRouter,
  settings: settingsRouter,
  directory: directoryRouter,
  subscriptions: subscriptionsRouter,
  keys: keysRouter,
  usage: usageRouter,
  billing: billingRouter,
  dashboard: dashboardRouter,
  audit: auditRouter,
  clock: clockRouter,
  scimTokens: scimTokensRouter,
  coverage: coverageRouter,
  forecasts: forecastsRouter,
  webhooks: webhooksRouter,
  reports: reportsRouter,
  idle: idleRouter,
});

export type AppRouter = typeof appRouter;
