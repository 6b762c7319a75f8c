import { TRPCError } from "@trpc/server";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { accounts, consoleAdmins } from "@seatdesk/db";
import { hashPassword, verifyPassword } from "../auth/password";
import { createSession, deleteSession, dropExpiredSessions, sessionAbsoluteMs, sessionCookieName } from "../auth/sessions";
import { consoleProcedure, publicProcedure, router } from "../trpc/init";

const signInInput = z.object({
  email: z.string().trim().min(1, "enter your e-mail").max(320),
  password: z.string().min(1, "enter your password").max(1024),
});

// Verifying against a throwaway hash when the e-mail is unknown keeps the answer's timing the same.
const decoyHash = hashPassword("not-a-real-password");

export const sessionRouter = router({
  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    const db = ctx.database.db;
    const [admin] = await db.select().from(consoleAdmins).where(eq(sql`lower(${consoleAdmins.email})`, input.email.toLowerCase()));
    const ok = await verifyPassword(input.password, admin?.passwordHash ?? (await decoyHash));
    if (!admin || !ok) throw new TRPCError({ code: "UNAUTHORIZED", message: "E-mail or password is wrong" });
    const now = ctx.clock.now();
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
});
