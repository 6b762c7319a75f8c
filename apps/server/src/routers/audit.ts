import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { profiles } from "@seatdesk/db";
import { decodeAuditCursor, listAudit } from "../services/audit-log";
import { toWire } from "../wire";
import { consoleProcedure, router } from "../trpc/init";

export const auditPageSize = 50;

const listInput = z
  .object({
    profileId: z.uuid().optional(),
    action: z.string().min(1).max(200).optional(),
    targetId: z.string().min(1).max(200).optional(),
    actorId: z.string().min(1).max(200).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(2000).nullish(),
    limit: z.number().int().min(1).max(200).default(auditPageSize),
  })
  .refine((i) => !i.from || !i.to || Date.parse(i.from) < Date.parse(i.to), { message: "must be after from", path: ["to"] });

export const auditRouter = router({
  /**
   * Who changed what, when (DESIGN.md §4 "audit"): the whole account's entries, newest first, filtered by
   * profile, action, target, actor and time (`from` inclusive, `to` exclusive).
   */
  list: consoleProcedure.input(listInput).query(async ({ ctx, input }) => {
    const after = input.cursor ? decodeAuditCursor(input.cursor) : null;
    if (input.cursor && !after) throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out" });
    if (input.profileId) {
      const [profile] = await ctx.database.db
        .select({ id: profiles.id })
        .from(profiles)
        .where(and(eq(profiles.accountId, ctx.accountId), eq(profiles.id, input.profileId)));
      if (!profile) throw new TRPCError({ code: "NOT_FOUND", message: "profileId: no such profile in this account" });
    }
    const page = await listAudit(
      ctx.database.db,
      ctx.accountId,
      {
        profileId: input.profileId,
        action: input.action,
        targetId: input.targetId,
        actorId: input.actorId,
        from: input.from ? new Date(input.from) : undefined,
        to: input.to ? new Date(input.to) : undefined,
      },
      { after, limit: input.limit },
    );
    return toWire(page);
  }),
});
