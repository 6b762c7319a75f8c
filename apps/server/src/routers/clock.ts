import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { nextPeriod, periodClosesAt, periodOf } from "@seatdesk/domain";
import { closeDue, runScheduledJobs } from "@seatdesk/scheduler";
import { addMonthsUtc, maxAdvanceMonths, type Clock } from "../clock";
import { scheduledJobs } from "../jobs";
import { recordAudit, adminActor } from "../services/audit";
import { adminProcedure, consoleProcedure, router } from "../trpc/init";

/** Clocks being moved now: a second move of the same clock while one runs is refused (409). */
const moving = new WeakSet<Clock>();

/**
 * The instants a move from `from` to `to` stops at: each month's closing instant on the way (its end plus the
 * grace window), then `to`. Each month closes at the instant a real clock would have closed it, and the
 * event loop gets a turn between months.
 */
export function advanceSteps(from: Date, to: Date): Date[] {
  const steps: Date[] = [];
  for (let p = periodOf(from); periodClosesAt(p).getTime() < to.getTime(); p = nextPeriod(p)) {
    if (periodClosesAt(p).getTime() > from.getTime()) steps.push(periodClosesAt(p));
  }
  steps.push(to);
  return steps;
}

/** DESIGN.md §3 "Time": read the server's clock; in demo and test mode, move it forward and run the closes that fall due. */
export const clockRouter = router({
  get: consoleProcedure.query(({ ctx }) => ({ now: ctx.clock.now().toISOString(), testClock: typeof ctx.clock.advanceTo === "function" })),

  /**
   * Moves the test clock forward to `to` (at most maxAdvanceMonths ahead), or to 00:20 UTC on the 1st of next
   * month (`nextMonth`: past the grace window, so the ended month closes), month by month, closing every month
   * of the caller's account as it falls due; other accounts' months close on the scheduler's next run (demo
   * and test mode have one clock). After each month's close the scheduled jobs run for the account (jobs.ts). One move at a time: another while it runs is CONFLICT. Audited in the
   * caller's account.
   */
  advance: adminProcedure
    .input(z.union([z.object({ to: z.iso.datetime({ offset: true }) }), z.object({ nextMonth: z.literal(true) })]))
    .mutation(async ({ ctx, input }) => {
      const clock = ctx.clock;
      if (!clock.advanceTo) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "The clock can be moved only in demo and test mode" });
      if (moving.has(clock)) throw new TRPCError({ code: "CONFLICT", message: "The clock is already being moved; try again when that move has finished" });
      const from = clock.now();
      const to = "to" in input ? new Date(input.to) : new Date(nextPeriod(periodOf(from)).start.getTime() + 20 * 60 * 1000);
      if (to.getTime() < from.getTime()) throw new TRPCError({ code: "BAD_REQUEST", message: `to: the clock only moves forward (it is ${from.toISOString()})` });
      const limit = addMonthsUtc(from, maxAdvanceMonths);
      if (to.getTime() > limit.getTime()) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `to: one move goes at most ${maxAdvanceMonths} months ahead (to ${limit.toISOString()} at most); move again from there` });
      }
      moving.add(clock);
      try {
        const totals = { closed: 0, skipped: 0, failed: 0 };
        const steps = advanceSteps(from, to);
        for (const [i, step] of steps.entries()) {
          clock.advanceTo(step);
          const now = clock.now();
          // The audit entry is written when the clock reaches `to`, before that last close (as a single move always did).
          if (i === steps.length - 1) {
            await recordAudit(ctx.database.db, ctx.accountId, adminActor(ctx.session), [{ action: "clock.advance", targetType: "clock", before: { now: from.toISOString() }, after: { now: now.toISOString() } }], now);
          }
          const summary = await closeDue(ctx.database.db, ctx.catalog, now, { accountId: ctx.accountId });
          totals.closed += summary.closed;
          totals.skipped += summary.skipped;
          totals.failed += summary.failed;
          // Then the scheduled jobs (reports, idle seats, forecasts, ...) at this step, as the worker runs them after each close.
          const jobs = await runScheduledJobs(ctx.database.db, now, scheduledJobs, { catalog: ctx.catalog, accountId: ctx.accountId, reportDir: ctx.reportDir });
          totals.failed += jobs.failed;
          // The embedded database runs on this thread: without a turn here, requests would wait for every month.
          await yieldToEventLoop();
        }
        return { now: clock.now().toISOString(), ...totals };
      } finally {
        moving.delete(clock);
      }
    }),
});
