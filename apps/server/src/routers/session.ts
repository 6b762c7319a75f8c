import { TRPCError } from "@trpc/server";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { accounts, consoleAdmins, consoleSessions } from "@seatdesk/db";
import { hashPassword, needsRehash, verifyPassword } from "../auth/password";
import { createSession, defaultSessionPolicy, deleteSession, dropExpiredSessions, sessionCookieName } from "../auth/sessions";
import { signInThrottle, SignInThrottled } from "../auth/throttle";
import { adminActor, recordAudit } from "../services/audit";
import type { Context } from "../trpc/context";
import { consoleProcedure, publicProcedure, router } from "../trpc/init";

const signInInput = z.object({
  email: z.string().trim().min(1, "enter your e-mail").max(320),
  password: z.string().min(1, "enter your password").max(1024),
});

export const minPasswordLength = 12;

const changePasswordInput = z.object({
  currentPassword: z.string().min(1, "enter your current password").max(1024),
  newPassword: z.string().min(minPasswordLength, `at least ${minPasswordLength} characters`).max(1024, "at most 1024 characters"),
});

// Verifying against a throwaway hash when the e-mail is unknown keeps the answer's timing the same.
const decoyHash = hashPassword("not-a-real-password");

const cookieSeconds = (ctx: Pick<Context, "sessionPolicy">) => Math.floor((ctx.sessionPolicy ?? defaultSessionPolicy).absoluteMs / 1000);

/** Who a failed sign-in is audited as: nobody is signed in, so the product itself, naming the client's address. */
const signInActor = (clientIp: string | undefined) => ({ type: "system" as const, id: null, label: `sign-in from ${clientIp ?? "this server"}` });

export const sessionRouter = router({
  /**
   * Throttled per e-mail and per client address (auth/throttle.ts): an attempt over a limit is refused with
   * TOO_MANY_REQUESTS (429, Retry-After) before the account is looked up or the password checked, so a
   * locked-out e-mail answers the same whether the password is right or not, and whether the e-mail exists.
   * A good sign-in resets the e-mail's count and rehashes a password stored with older scrypt parameters.
   */
  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const db = ctx.database.db;
    const email = input.email.toLowerCase();
    const attempt = await signInThrottle(db, ctx.signInLimits)
      .admit(email, ctx.clientIp)
      .catch((e: unknown) => {
        if (!(e instanceof SignInThrottled)) throw e;
        ctx.log.info("sign-in throttled", { email, clientIp: ctx.clientIp, scope: e.scope, retryAfterSeconds: e.retryAfterSeconds });
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: e.message, cause: e });
      });
    const [admin] = await db.select().from(consoleAdmins).where(eq(sql`lower(${consoleAdmins.email})`, email));
    const ok = await verifyPassword(input.password, admin?.passwordHash ?? (await decoyHash));
    const now = (ctx.sessionClock ?? ctx.clock).now();
    if (!admin || !ok) {
      const { lockedForSeconds } = await attempt.failed();
      ctx.log.info("sign-in failed", { email, clientIp: ctx.clientIp, knownEmail: Boolean(admin), lockedForSeconds });
      if (admin) {
        const after = { clientIp: ctx.clientIp ?? null, ...(lockedForSeconds !== null ? { lockedForSeconds } : {}) };
        await recordAudit(db, admin.accountId, signInActor(ctx.clientIp), [{ action: "admin.signInFailed", targetType: "admin", targetId: admin.id, after }], now);
      }
      throw new TRPCError({ code: "UNAUTHORIZED", message: "E-mail or password is wrong" });
    }
    await attempt.succeeded();
    if (needsRehash(admin.passwordHash)) {
      // Only if the hash is still the one verified: a change made meanwhile wins.
      const rehashed = await hashPassword(input.password);
      await db
        .update(consoleAdmins)
        .set({ passwordHash: rehashed })
        .where(and(eq(consoleAdmins.accountId, admin.accountId), eq(consoleAdmins.id, admin.id), eq(consoleAdmins.passwordHash, admin.passwordHash)));
    }
    const policy = ctx.sessionPolicy ?? defaultSessionPolicy;
    // Rotation: a sign-in always makes a new session; any session the browser had is ended.
    if (ctx.sessionToken) await deleteSession(db, ctx.sessionToken);
    await dropExpiredSessions(db, admin.accountId, admin.id, now, policy);
    const token = await createSession(db, admin.accountId, admin.id, now, policy);
    ctx.cookies.set(sessionCookieName, token, { maxAgeSeconds: cookieSeconds(ctx) });
    return { email: admin.email, name: admin.name, role: admin.role };
  }),

  signOut: consoleProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await deleteSession(ctx.database.db, ctx.sessionToken, ctx.accountId);
    ctx.cookies.clear(sessionCookieName);
    return { ok: true as const };
  }),

  me: consoleProcedure.query(async ({ ctx }) => {
    const [account] = await ctx.database.db.select().from(accounts).where(eq(accounts.id, ctx.accountId));
    return {
      email: ctx.session.email,
      name: ctx.session.name,
      role: ctx.session.role,
      account: { id: ctx.accountId, name: account?.name ?? "" },
    };
  }),

  /**
   * Any signed-in admin, viewers included, changes their own password. Every session of theirs ends,
   * and the one making the change is replaced by a fresh one (a new cookie), so a session token taken
   * before the change is worth nothing after it.
   */
  changePassword: consoleProcedure.input(changePasswordInput).mutation(async ({ ctx, input }) => {
    const db = ctx.database.db;
    const where = and(eq(consoleAdmins.accountId, ctx.accountId), eq(consoleAdmins.id, ctx.session.adminId));
    const [admin] = await db.select({ passwordHash: consoleAdmins.passwordHash }).from(consoleAdmins).where(where);
    if (!admin) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
    // scrypt is slow on purpose: verify and hash before the transaction.
    if (!(await verifyPassword(input.currentPassword, admin.passwordHash))) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "currentPassword: that is not your current password" });
    }
    if (input.newPassword === input.currentPassword) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "newPassword: choose a password other than the current one" });
    }
    const passwordHash = await hashPassword(input.newPassword);
    const now = ctx.clock.now();
    const token = await db.transaction(async (tx) => {
      // Only if the hash is still the one verified: a change made meanwhile is not silently overwritten.
      const updated = await tx
        .update(consoleAdmins)
        .set({ passwordHash })
        .where(and(where, eq(consoleAdmins.passwordHash, admin.passwordHash)))
        .returning({ id: consoleAdmins.id });
      if (updated.length === 0) throw new TRPCError({ code: "CONFLICT", message: "currentPassword: your password was changed meanwhile; sign in again" });
      const ended = await tx
        .delete(consoleSessions)
        .where(and(eq(consoleSessions.accountId, ctx.accountId), eq(consoleSessions.adminId, ctx.session.adminId)))
        .returning({ tokenHash: consoleSessions.tokenHash });
      const fresh = ctx.sessionToken ? await createSession(tx, ctx.accountId, ctx.session.adminId, (ctx.sessionClock ?? ctx.clock).now(), ctx.sessionPolicy) : null;
      // The audit entry says that the password changed and how many sessions ended (the current one among them); never the password or its hash.
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        [{ action: "admin.changePassword", targetType: "admin", targetId: ctx.session.adminId, after: { sessionsEnded: ended.length } }],
        now,
      );
      return fresh;
    });
    if (token) ctx.cookies.set(sessionCookieName, token, { maxAgeSeconds: cookieSeconds(ctx) });
    return { ok: true as const };
  }),
});
