import { TRPCError } from "@trpc/server";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { apiKeys } from "@seatdesk/db";
import { generateApiKey } from "../auth/api-keys";
import { adminActor, recordAudit } from "../services/audit";
import { profileAdminProcedure, profileProcedure, router } from "../trpc/init";
import { toWire } from "../wire";

/** Profile API keys for the tool's backends: created and revoked by owners and admins, shown once, listed with their last use. */
export const keysRouter = router({
  list: profileProcedure.query(async ({ ctx }) => {
    const rows = await ctx.database.db
      .select({ id: apiKeys.id, name: apiKeys.name, lookup: apiKeys.lookup, createdAt: apiKeys.createdAt, createdBy: apiKeys.createdBy, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, ctx.accountId), eq(apiKeys.profileId, ctx.profile.id)))
      .orderBy(desc(apiKeys.createdAt));
    // The lookup part identifies a key to people ("sdk_AbC…"); the secret is never stored or shown again.
    return toWire(rows.map(({ lookup, ...r }) => ({ ...r, hint: `sdk_${lookup}_…` })));
  }),

  create: profileAdminProcedure.input(z.object({ name: z.string().trim().min(1, "give the key a name").max(100) })).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    const { key, lookup, secretHash } = generateApiKey();
    return ctx.database.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(apiKeys)
        .values({ accountId: ctx.accountId, profileId: ctx.profile.id, name: input.name, lookup, secretHash, createdAt: now, createdBy: ctx.session.email })
        .returning({ id: apiKeys.id });
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ profileId: ctx.profile.id, action: "api-key.create", targetType: "api-key", targetId: row!.id, after: { name: input.name, hint: `sdk_${lookup}_…` } }], now);
      return { id: row!.id, name: input.name, key, shownOnce: true as const };
    });
  }),

  revoke: profileAdminProcedure.input(z.object({ keyId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const [row] = await tx
        .update(apiKeys)
        .set({ revokedAt: now })
        .where(and(eq(apiKeys.accountId, ctx.accountId), eq(apiKeys.profileId, ctx.profile.id), eq(apiKeys.id, input.keyId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id, name: apiKeys.name });
      if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "keyId: no active key with this id in this profile" });
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ profileId: ctx.profile.id, action: "api-key.revoke", targetType: "api-key", targetId: row.id, before: { name: row.name } }], now);
      return { id: row.id, revokedAt: now.toISOString() };
    });
  }),
});
