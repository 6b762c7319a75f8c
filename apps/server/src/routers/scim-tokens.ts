import { TRPCError } from "@trpc/server";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { scimTokens } from "@seatdesk/db";
import { generateScimToken } from "../auth/scim-tokens";
import { adminActor, recordAudit } from "../services/audit";
import { consoleProcedure, ownerProcedure, router } from "../trpc/init";
import { toWire } from "../wire";

/** SCIM bearer tokens for the account's identity provider (issue 8): owners create and revoke them; shown once. */
export const scimTokensRouter = router({
  list: consoleProcedure.query(async ({ ctx }) => {
    const rows = await ctx.database.db
      .select({ id: scimTokens.id, name: scimTokens.name, lookup: scimTokens.lookup, createdAt: scimTokens.createdAt, createdBy: scimTokens.createdBy, lastUsedAt: scimTokens.lastUsedAt, revokedAt: scimTokens.revokedAt })
      .from(scimTokens)
      .where(eq(scimTokens.accountId, ctx.accountId))
      .orderBy(desc(scimTokens.createdAt));
    return toWire(rows.map(({ lookup, ...r }) => ({ ...r, hint: `scim_${lookup}_…` })));
  }),

  create: ownerProcedure.input(z.object({ name: z.string().trim().min(1, "give the token a name").max(100) })).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    const { key, lookup, secretHash } = generateScimToken();
    return ctx.database.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(scimTokens)
        .values({ accountId: ctx.accountId, name: input.name, lookup, secretHash, createdAt: now, createdBy: ctx.session.email })
        .returning({ id: scimTokens.id });
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "scim-token.create", targetType: "scim-token", targetId: row!.id, after: { name: input.name, hint: `scim_${lookup}_…` } }], now);
      return { id: row!.id, name: input.name, token: key, shownOnce: true as const };
    });
  }),

  revoke: ownerProcedure.input(z.object({ tokenId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const [row] = await tx
        .update(scimTokens)
        .set({ revokedAt: now })
        .where(and(eq(scimTokens.accountId, ctx.accountId), eq(scimTokens.id, input.tokenId), isNull(scimTokens.revokedAt)))
        .returning({ id: scimTokens.id, name: scimTokens.name });
      if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "tokenId: no active SCIM token with this id in this account" });
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "scim-token.revoke", targetType: "scim-token", targetId: row.id, before: { name: row.name } }], now);
      return { id: row.id, revokedAt: now.toISOString() };
    });
  }),
});
