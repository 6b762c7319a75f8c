import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { decodeCursor, encodeCursor } from "../services/cursor";
import { listIdleSeats } from "../services/idle";
import { profileProcedure, router } from "../trpc/init";

const isInstant = (key: string) => !Number.isNaN(Date.parse(key));

export const idleRouter = router({
  /**
   * The "idle for N days" view (issue 15, "Idle seats"): Active seats not used and Pending seats not activated
   * for `days` or more, longest idle first, each with what it costs a month, and the count and monthly cost of
   * them all (every page together).
   */
  list: profileProcedure
    .input(
      z.object({
        days: z.number().int("a whole number of days").min(1, "at least 1 day").max(3650, "at most 3,650 days").default(30),
        cursor: z.string().max(2000).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const after = input.cursor ? decodeCursor(input.cursor, isInstant) : null;
      if (input.cursor && !after) throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out" });
      const page = await listIdleSeats(ctx.database.db, ctx.catalog, {
        accountId: ctx.accountId,
        profileId: ctx.profile.id,
        days: input.days,
        now: ctx.clock.now(),
        after,
        limit: input.limit,
      });
      return { days: input.days, rows: page.rows, total: page.total, nextCursor: page.nextCursor ? encodeCursor(...page.nextCursor) : null };
    }),
});
