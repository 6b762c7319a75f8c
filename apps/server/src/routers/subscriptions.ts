import { TRPCError } from "@trpc/server";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { maxTargetsPerCall, tierIds } from "@seatdesk/domain";
import { assignments, directoryUsers } from "@seatdesk/db";
import { adminActor, recordAudit } from "../services/audit";
import { reconcileUsers } from "../services/reconcile";
import { decodeCursor, listUsersTab } from "../services/users-tab";
import { toWire } from "../wire";
import { profileAdminProcedure, profileProcedure, router } from "../trpc/init";

export const usersPageSize = 50;

const listInput = z.object({
  search: z.string().max(200).optional(),
  cursor: z.string().max(2000).nullish(),
  limit: z.number().int().min(1).max(200).default(usersPageSize),
});

const subscribeInput = z.object({
  userIds: z
    .array(z.uuid())
    .min(1, "choose at least one user")
    .max(maxTargetsPerCall, `at most ${maxTargetsPerCall} users in one call`),
  tier: z.enum(tierIds),
});

export const subscriptionsRouter = router({
  /** The Users tab: one row per directory user with their subscription in this profile. */
  list: profileProcedure.input(listInput).query(async ({ ctx, input }) => {
    const after = input.cursor ? decodeCursor(input.cursor) : null;
    if (input.cursor && !after) throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out" });
    const page = await listUsersTab(ctx.database.db, {
      accountId: ctx.accountId,
      profileId: ctx.profile.id,
      search: input.search,
      after,
      limit: input.limit,
      now: ctx.clock.now(),
    });
    return toWire(page);
  }),

  /**
   * Subscribes users to a tier: a direct assignment for each, then their subscription follows the rules
   * (new ones are Pending). All or nothing: one unknown user and nothing is written.
   */
  subscribe: profileAdminProcedure.input(subscribeInput).mutation(async ({ ctx, input }) => {
    const userIds = [...new Set(input.userIds)];
    const now = ctx.clock.now();
    const profile = ctx.profile;
    return ctx.database.db.transaction(async (tx) => {
      const found = await tx
        .select({ id: directoryUsers.id })
        .from(directoryUsers)
        .where(and(eq(directoryUsers.accountId, ctx.accountId), inArray(directoryUsers.id, userIds), isNull(directoryUsers.deletedAt)));
      const known = new Set(found.map((r) => r.id));
      const missing = input.userIds.findIndex((id) => !known.has(id));
      if (missing >= 0) {
        throw new TRPCError({ code: "NOT_FOUND", message: `userIds.${missing}: no user ${input.userIds[missing]} in this account` });
      }
      await tx
        .insert(assignments)
        .values(userIds.map((userId) => ({ accountId: ctx.accountId, profileId: profile.id, userId, tier: input.tier, createdAt: now })))
        .onConflictDoUpdate({
          target: [assignments.accountId, assignments.profileId, assignments.userId],
          targetWhere: sql`${assignments.userId} is not null`,
          set: { tier: input.tier },
        });
      const changes = await reconcileUsers(tx, ctx.catalog, profile, userIds, now);
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        changes.map((c) => ({
          profileId: profile.id,
          action: "subscription.subscribe",
          targetType: "user",
          targetId: c.userId,
          before: c.before,
          after: c.after,
        })),
        now,
      );
      return toWire({
        results: changes.map((c) => ({ userId: c.userId, outcome: c.outcome, status: c.after?.status ?? null, tier: c.after?.tier ?? null })),
      });
    });
  }),
});
