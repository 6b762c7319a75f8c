import { z } from "zod";
import { periodOf } from "@seatdesk/domain";
import { inSnapshot } from "../services/billing";
import { activeUsersByDay, dashboardSummary } from "../services/dashboard";
import { profileTrends } from "../services/trends";
import { toWire } from "../wire";
import { profileProcedure, profileReadProcedure, router } from "../trpc/init";

export const dashboardRouter = router({
  /**
   * The Dashboard (DESIGN.md §4): subscriptions by tier and status, active users in the last day / 7 / 30 days,
   * credits used this period by tier and by client, and the overage spent so far against the budget.
   */
  summary: profileReadProcedure.query(async ({ ctx }) => {
    const now = ctx.clock.now();
    const summary = await inSnapshot(ctx.readDb, (tx) => dashboardSummary(tx, ctx.catalog, ctx.profile, periodOf(now), now));
    return toWire(summary);
  }),

  /**
   * Active users over time: for each of the last `days` UTC days (30 by default, today included), the users
   * with usage that day or whose last activity fell on it.
   */
  activeUsersByDay: profileReadProcedure.input(z.object({ days: z.number().int().min(1).max(90).default(30) })).query(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return toWire(await activeUsersByDay(ctx.readDb, ctx.profile, now, input.days));
  }),

  /**
   * Trends (issue 15): the last 12 months, the current one included, oldest first: seats Active in each month by
   * the tier that set their fee (Active at the 1st / activated in the month), active users, credits used
   * (included, overage, unbilled) and the invoice's money — the finalized invoice for a closed month, the
   * running estimate's for a month not closed yet, zeros before the profile existed.
   */
  trends: profileReadProcedure.query(async ({ ctx }) => {
    const now = ctx.clock.now();
    return toWire(await inSnapshot(ctx.readDb, (tx) => profileTrends(tx, ctx.catalog, ctx.profile, now)));
  }),
});
