import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { nextPeriod, periodOf } from "@seatdesk/domain";
import { closeDue } from "@seatdesk/scheduler";
import { recordAudit, adminActor } from "../services/audit";
import { adminProcedure, consoleProcedure, router } from "../trpc/init";

/** DESIGN.md §3 "Time": read the server's clock; in demo and test mode, move it forward and run the closes that fall due. */
export const clockRouter = router({
  get: consoleProcedure.query(({ ctx }) => ({ now: ctx.clock.now().toISOString(), testClock: typeof ctx.clock.advanceTo === "function" })),

  /**
   * Moves the test clock forward to `to`, or to 00:20 UTC on the 1st of next month (`nextMonth`: past
   * the grace window, so the ended month closes), then closes every month of the caller's account that is
   * due; other accounts' months close on the scheduler's next run (demo and test mode have one clock).
   * Audited in the caller's account.
   */
  advance: adminProcedure
    .input(z.union([z.object({ to: z.iso.datetime({ offset: true }) }), z.object({ nextMonth: z.literal(true) })]))
    .mutation(async ({ ctx, input }) => {
      const advanceTo = ctx.clock.advanceTo;
      if (!advanceTo) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "The clock can be moved only in demo and test mode" });
      const from = ctx.clock.now();
      const to = "to" in input ? new Date(input.to) : new Date(nextPeriod(periodOf(from)).start.getTime() + 20 * 60 * 1000);
      if (to.getTime() < from.getTime()) throw new TRPCError({ code: "BAD_REQUEST", message: `to: the clock only moves forward (it is ${from.toISOString()})` });
      advanceTo(to);
      const now = ctx.clock.now();
      await recordAudit(ctx.database.db, ctx.accountId, adminActor(ctx.session), [{ action: "clock.advance", targetType: "clock", before: { now: from.toISOString() }, after: { now: now.toISOString() } }], now);
      const summary = await closeDue(ctx.database.db, ctx.catalog, now, { accountId: ctx.accountId });
      return { now: now.toISOString(), closed: summary.closed, skipped: summary.skipped, failed: summary.failed };
    }),
});
