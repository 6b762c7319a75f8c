import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { adminRoles, consoleAdmins, consoleSessions } from "@seatdesk/db";
import { generatePassword, hashPassword } from "../auth/password";
import { adminColumns, assertNotLastOwner, auditView, listAdmins, lockAdmins, requireOwner } from "../services/admins";
import { adminActor, recordAudit } from "../services/audit";
import { toWire } from "../wire";
import { consoleProcedure, ownerProcedure, router } from "../trpc/init";

const inviteInput = z.object({
  email: z.string().trim().max(320, "at most 320 characters").pipe(z.email("not an e-mail address")),
  name: z.string().trim().min(1, "enter a name").max(200, "at most 200 characters"),
  role: z.enum(adminRoles),
});

const adminIdInput = z.object({ adminId: z.uuid() });

function notFound(adminId: string): never {
  throw new TRPCError({ code: "NOT_FOUND", message: `adminId: no console admin ${adminId} in this account` });
}

export const adminsRouter = router({
  /** The account's console admins (any signed-in admin may see who else can sign in). */
  list: consoleProcedure.query(async ({ ctx }) => {
    const admins = await listAdmins(ctx.database.db, ctx.accountId);
    return toWire({ admins: admins.map((a) => ({ ...a, you: a.id === ctx.session.adminId })) });
  }),

  /**
   * Owners invite a console admin. The answer carries a generated password, once: only its hash is
   * stored, and neither it nor the hash goes into the audit entry. E-mail is the sign-in name, so it is
   * unique across every account, whatever its case.
   */
  invite: ownerProcedure.input(inviteInput).mutation(async ({ ctx, input }) => {
    const oneTimePassword = generatePassword();
    // scrypt is slow on purpose: hash before the transaction so no lock is held meanwhile.
    const passwordHash = await hashPassword(oneTimePassword);
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      requireOwner(await lockAdmins(tx, ctx.accountId), ctx.session.adminId);
      const [admin] = await tx
        .insert(consoleAdmins)
        .values({ accountId: ctx.accountId, email: input.email, name: input.name, role: input.role, passwordHash, createdAt: now })
        .onConflictDoNothing()
        .returning(adminColumns);
      if (!admin) throw new TRPCError({ code: "CONFLICT", message: `email: ${input.email} is already a console admin's sign-in` });
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "admin.invite", targetType: "admin", targetId: admin.id, after: auditView(admin) }], now);
      return toWire({ admin, oneTimePassword });
    });
  }),

  /** Owners remove a console admin; their sessions end with them. Not oneself, never the last owner. */
  remove: ownerProcedure.input(adminIdInput).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const admins = await lockAdmins(tx, ctx.accountId);
      requireOwner(admins, ctx.session.adminId);
      const target = admins.find((a) => a.id === input.adminId) ?? notFound(input.adminId);
      if (target.id === ctx.session.adminId) {
        throw new TRPCError({ code: "PRECONDITION_FAILED", message: "adminId: you cannot remove yourself; another owner can" });
      }
      assertNotLastOwner(admins, target, "adminId", "removed");
      const sessions = await tx
        .delete(consoleSessions)
        .where(and(eq(consoleSessions.accountId, ctx.accountId), eq(consoleSessions.adminId, target.id)))
        .returning({ tokenHash: consoleSessions.tokenHash });
      await tx.delete(consoleAdmins).where(and(eq(consoleAdmins.accountId, ctx.accountId), eq(consoleAdmins.id, target.id)));
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        [{ action: "admin.remove", targetType: "admin", targetId: target.id, before: auditView(target), after: null }],
        now,
      );
      return { adminId: target.id, sessionsEnded: sessions.length };
    });
  }),

  /** Owners change a console admin's role, their own included, as long as an owner remains. Takes effect on the next request. */
  changeRole: ownerProcedure.input(adminIdInput.extend({ role: z.enum(adminRoles) })).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const admins = await lockAdmins(tx, ctx.accountId);
      requireOwner(admins, ctx.session.adminId);
      const target = admins.find((a) => a.id === input.adminId) ?? notFound(input.adminId);
      if (target.role === input.role) return toWire({ admin: target, changed: false });
      assertNotLastOwner(admins, target, "role", `made ${input.role}`);
      const [admin] = await tx
        .update(consoleAdmins)
        .set({ role: input.role })
        .where(and(eq(consoleAdmins.accountId, ctx.accountId), eq(consoleAdmins.id, target.id)))
        .returning(adminColumns);
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        [{ action: "admin.changeRole", targetType: "admin", targetId: target.id, before: { role: target.role }, after: { role: input.role } }],
        now,
      );
      return toWire({ admin: admin!, changed: true });
    });
  }),
});
