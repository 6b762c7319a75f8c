import { periodOf } from "@seatdesk/domain";
import { inSnapshot } from "../services/billing";
import { dashboardSummary } from "../services/dashboard";
import { toWire } from "../wire";
import { profileProcedure, router } from "../trpc/init";

export const dashboardRouter = router({
  /**
   * The Dashboard (DESIGN.md §4): subscriptions by tier and status, active users in the last day / 7 / 30 days,
   * credits used this period by tier and by client, and the overage spent so far against the budget.
   */
  summary: profileProcedure.query(async ({ ctx }) => {
    const now = ctx.clock.now();
    const summary = await inSnapshot(ctx.database.db, (tx) => dashboardSummary(tx, ctx.catalog, ctx.profile, periodOf(now), now));
    return toWire(summary);
  }),
});
