import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { directoryUsers } from "@seatdesk/db";
import { decodeCursor, encodeCursor } from "../services/cursor";
import { inSnapshot } from "../services/billing";
import { profileForecastView, rightSizingPage, userForecast, validRightSizingKey } from "../services/forecasts/read";
import { toWire } from "../wire";
import { profileProcedure, router } from "../trpc/init";

const settingsOf = (p: { accountId: string; id: string; overagesEnabled: boolean; defaultCapCc: number | null; budgetCents: number | null }) => ({
  accountId: p.accountId,
  id: p.id,
  overagesEnabled: p.overagesEnabled,
  defaultCapCc: p.defaultCapCc,
  budgetCents: p.budgetCents,
});

/** Forecasts and right-sizing (issue 15, Forecasts). Reads only: every admin and viewer of the account may see them. */
export const forecastsRouter = router({
  /** One user's burn rate and run-out days, live from the domain; `forecast: null` when they have no subscription in force. */
  user: profileProcedure.input(z.object({ userId: z.uuid() })).query(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return inSnapshot(ctx.database.db, async (tx) => {
      const [user] = await tx
        .select({ id: directoryUsers.id })
        .from(directoryUsers)
        .where(and(eq(directoryUsers.accountId, ctx.accountId), eq(directoryUsers.id, input.userId)));
      if (!user) throw new TRPCError({ code: "NOT_FOUND", message: "userId: no such user in this account" });
      const forecast = await userForecast(tx, ctx.catalog, settingsOf(ctx.profile), input.userId, now);
      return toWire({ userId: input.userId, asOf: now, forecast });
    });
  }),

  /** The profile's forecast as of the last daily run, and how many users run out / are blocked this month. */
  profile: profileProcedure.query(async ({ ctx }) => {
    const now = ctx.clock.now();
    return toWire(await inSnapshot(ctx.database.db, (tx) => profileForecastView(tx, ctx.profile, now)));
  }),

  /** Users an upgrade or a downgrade saves money for, with the saving per month and the totals; paged by `cursor`. */
  rightSizing: profileProcedure
    .input(z.object({ cursor: z.string().max(2000).nullish(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(async ({ ctx, input }) => {
      const after = input.cursor ? decodeCursor(input.cursor, validRightSizingKey) : null;
      if (input.cursor && !after) throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out" });
      const now = ctx.clock.now();
      const page = await inSnapshot(ctx.database.db, (tx) => rightSizingPage(tx, ctx.profile, now, { after, limit: input.limit }));
      return toWire({ ...page, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor[0], page.nextCursor[1]) : null });
    }),
});
