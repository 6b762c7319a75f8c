import { initTRPC, TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z, ZodError } from "zod";
import { profiles } from "@seatdesk/db";
import { presentedKey, verifyApiKey, verifyApiKeyForWrite } from "../auth/api-keys";
import { findSession, findSessionInProfile, type ConsoleSession } from "../auth/sessions";
import type { Context } from "./context";
import { domainCodeOf, faultDetail, toTRPCError } from "./errors";

/** "userIds.3: Invalid UUID; tier: Invalid option" — every input error names its field. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "input"}: ${i.message}`)
    .join("; ");
}

const t = initTRPC.context<Context>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      message: shape.message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        domainCode: domainCodeOf(error),
        fields: zod ? zod.issues.map((i) => ({ path: i.path.join("."), message: i.message })) : undefined,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain and database failures become safe tRPC errors here, once for every procedure. */
const mapErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (!result.ok) {
    const zod = result.error.cause instanceof ZodError ? result.error.cause : null;
    if (zod) throw new TRPCError({ code: "BAD_REQUEST", message: describeZodError(zod), cause: zod });
    const mapped = toTRPCError(result.error);
    // A database fault answers 503 with a plain sentence; what happened (host, SQLSTATE) goes to the log only.
    if (mapped.code === "SERVICE_UNAVAILABLE" && mapped !== result.error) ctx.log.error("database unavailable", { path, ...faultDetail(result.error) });
    if (mapped !== result.error) throw mapped;
  }
  return result;
});

/**
 * With a read replica: after a console mutation commits, the session's reads must see it (services/read-routing.ts).
 * On the console's procedures only: the usage API and SCIM have no session to read after.
 * A failure here does not undo the change; the session's next reads may then come from a replica that is behind.
 */
const keepWritePosition = t.middleware(async ({ ctx, type, next }) => {
  const result = await next();
  if (result.ok && type === "mutation" && ctx.reads && ctx.sessionToken) {
    await ctx.reads.noteWrite(ctx.cookies).catch((e: unknown) => ctx.log.error("could not read the write position", { error: String(e) }));
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapErrors);

const signInFirst = () => new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
const viewersRead = () => new TRPCError({ code: "FORBIDDEN", message: "Viewers cannot change anything" });

/** Signed in to the console: the tenant is the session's account, and only it. */
export const consoleProcedure = publicProcedure.use(keepWritePosition).use(async ({ ctx, next }) => {
  const session = ctx.session !== undefined ? ctx.session : ctx.sessionToken ? await findSession(ctx.database.db, ctx.sessionToken, (ctx.sessionClock ?? ctx.clock).now(), ctx.sessionPolicy) : null;
  if (!session) throw signInFirst();
  return next({ ctx: { session, accountId: session.accountId } });
});

/** Owners and admins change things; viewers read only. */
export const adminProcedure = consoleProcedure.use(({ ctx, next }) => {
  if (ctx.session.role === "viewer") throw viewersRead();
  return next();
});

/** Owners manage console admins, profiles and tokens. */
export const ownerProcedure = consoleProcedure.use(({ ctx, next }) => {
  if (ctx.session.role !== "owner") throw new TRPCError({ code: "FORBIDDEN", message: "Only an owner can do this" });
  return next();
});

/** The tool's clients: a profile API key in `Authorization: Bearer`, and nothing else, opens the usage API. */
export const usageProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const scope = ctx.bearer ? await verifyApiKey(ctx.database.db, ctx.bearer, ctx.clock.now()) : null;
  if (!scope) throw keyRefused();
  return next({ ctx: { keyScope: scope } });
});

/**
 * The usage writes (usage.record, usage.recordBatch): a key this process verified a moment ago opens its
 * profile without a read of its own, and the write's transaction confirms it (auth/api-keys.ts
 * verifyApiKeyForWrite); the procedure answers `keyRefused()` when that confirmation fails.
 */
export const usageWriteProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const scope = ctx.bearer ? await verifyApiKeyForWrite(ctx.database.db, ctx.bearer, ctx.clock.now()) : null;
  if (!scope) throw keyRefused();
  return next({ ctx: { keyScope: scope } });
});

export const keyRefused = () => new TRPCError({ code: "UNAUTHORIZED", message: "A valid profile API key is required (Authorization: Bearer sdk_…)" });

/**
 * A read of the usage API that verifies the key inside its own statement (usage.check: one round trip,
 * not two). Only a malformed key is refused here; the procedure answers `keyRefused()` when its read
 * finds the key unknown, revoked or wrong, before anything it read is used.
 */
export const usageReadProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const key = ctx.bearer ? presentedKey(ctx.bearer) : null;
  if (!key) throw keyRefused();
  return next({ ctx: { presentedKey: key } });
});

export const profileInput = z.object({ profileId: z.uuid() });

type Profile = typeof profiles.$inferSelect;

async function loadProfile(db: Context["database"]["db"], accountId: string, profileId: string): Promise<Profile | null> {
  const [profile] = await db
    .select()
    .from(profiles)
    .where(and(eq(profiles.accountId, accountId), eq(profiles.id, profileId)));
  return profile ?? null;
}

/**
 * The session and one of its account's profiles: one round trip over HTTP (the session is still
 * unread), or the given session and a profile lookup (callers that bring their session, as tests do).
 * Another account's profile is NOT_FOUND; for a mutation, a viewer is FORBIDDEN before that.
 */
const inProfile = (mutates: boolean) =>
  publicProcedure.use(keepWritePosition).input(profileInput).use(async ({ ctx, input, next }) => {
    let session: ConsoleSession | null;
    let profile: Profile | null;
    if (ctx.session === undefined && ctx.sessionToken) {
      ({ session, profile } = await findSessionInProfile(ctx.database.db, ctx.sessionToken, input.profileId, (ctx.sessionClock ?? ctx.clock).now(), ctx.sessionPolicy));
    } else {
      session = ctx.session ?? null;
      profile = session ? await loadProfile(ctx.database.db, session.accountId, input.profileId) : null;
    }
    if (!session) throw signInFirst();
    if (mutates && session.role === "viewer") throw viewersRead();
    if (!profile) throw new TRPCError({ code: "NOT_FOUND", message: "profileId: no such profile in this account" });
    return next({ ctx: { session, accountId: session.accountId, profile } });
  });

/** A procedure inside one of the account's profiles; another account's profile is NOT_FOUND. */
export const profileProcedure = inProfile(false);
/** The same, for owners and admins. */
export const profileAdminProcedure = inProfile(true);

/**
 * A console read inside a profile that may be served by the read replica (DATABASE_READ_URL): `ctx.readDb` is
 * the replica unless this session's own last change has not reached it yet; without a replica, the primary.
 * Only for reads that write nothing.
 */
export const profileReadProcedure = profileProcedure.use(async ({ ctx, next }) =>
  next({ ctx: { readDb: ctx.reads ? await ctx.reads.dbFor(ctx.cookies) : ctx.database.db } }),
);
