import { TRPCError } from "@trpc/server";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { accounts, consoleAdmins, consoleSessions } from "@seatdesk/db";
import { hashPassword, verifyPassword } from "../auth/password";
import { createSession, deleteSession, dropExpiredSessions, sessionAbsoluteMs, sessionCookieName } from "../auth/sessions";
import { adminActor, recordAudit } from "../services/audit";
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

export const sessionRouter = router({
  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const db = ctx.database.db;
    const [admin] = await db.select().from(consoleAdmins).where(eq(sql`lower(${consoleAdmins.email})`, input.email.toLowerCase()));
    const ok = await verifyPassword(input.password, admin?.passwordHash ?? (await decoyHash));
    if (!admin || !ok) throw new TRPCError({ code: "UNAUTHORIZED", message: "E-mail or password is wrong" });
    const now = (ctx.sessionClock ?? ctx.clock).now();
    // Rotation: a sign-in always makes a new session; any session the browser had is ended.
    if (ctx.sessionToken) await deleteSession(db, ctx.sessionToken);
    await dropExpiredSessions(db, admin.id, now);
    const token = await createSession(db, admin.accountId, admin.id, now);
    ctx.cookies.set(sessionCookieName, token, { maxAgeSeconds: sessionAbsoluteMs / 1000 });
    return { email: admin.email, name: admin.name, role: admin.role };
  }),

  signOut: consoleProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await deleteSession(ctx.database.db, ctx.sessionToken);
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
      const fresh = ctx.sessionToken ? await createSession(tx, ctx.accountId, ctx.session.adminId, (ctx.sessionClock ?? ctx.clock).now()) : null;
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
    if (token) ctx.cookies.set(sessionCookieName, token, { maxAgeSeconds: sessionAbsoluteMs / 1000 });
    return { ok: true as const };
  }),
});
