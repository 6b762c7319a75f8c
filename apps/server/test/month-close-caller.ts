import type { ConsoleSession } from "../src/auth/sessions";
import { appRouter } from "../src/routers/_app";
import type { Deps } from "../src/trpc/context";
import { createCallerFactory } from "../src/trpc/init";
import { memoryJar } from "./harness";

/** A caller on other deps than the harness's (a clock without advanceTo: production's). */
export function createCaller(deps: Deps, session: ConsoleSession) {
  return createCallerFactory(appRouter)({ ...deps, session, sessionToken: undefined, cookies: memoryJar(), bearer: undefined });
}
