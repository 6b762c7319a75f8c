import { appRouter } from "../src/routers/_app";
import { createCallerFactory } from "../src/trpc/init";
import { callerAs, memoryJar, type Harness, type Tenant } from "./harness";

const createCaller = createCallerFactory(appRouter);

/** A caller as the tool's backend: no console session, a profile API key as the bearer. */
export function callerWithKey(h: Harness, key: string | undefined) {
  return createCaller({ ...h.deps, session: null, sessionToken: undefined, cookies: memoryJar(), bearer: key });
}

/** Creates a profile API key through the console, as an admin would. */
export async function makeKey(h: Harness, t: Tenant, name = "backend"): Promise<{ id: string; key: string }> {
  const created = await callerAs(h, t.admins.admin).keys.create({ profileId: t.profileId, name });
  return { id: created.id, key: created.key };
}

/** One usage event as a tool sends it over HTTP to usage.record (by user id). */
export interface WireEvent {
  userId: string;
  credits: number;
  client: string;
  occurredAt: string;
  idempotencyKey: string;
}

export const at = (iso: string) => new Date(iso).toISOString();
