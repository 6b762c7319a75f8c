import { router } from "../trpc/init";
import { profilesRouter } from "./profiles";
import { sessionRouter } from "./session";
import { subscriptionsRouter } from "./subscriptions";

export const appRouter = router({
  session: sessionRouter,
  profiles: profilesRouter,
  subscriptions: subscriptionsRouter,
});

export type AppRouter = typeof appRouter;
