import { z } from "zod";
import { activityPage } from "../reports/activity";
import { profileInput, profileProcedure, profileReadProcedure, router } from "../trpc/init";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a UTC day as YYYY-MM-DD");

/** The activity report's range (issue 15): whole UTC days, inclusive; the domain checks the calendar and the length. */
export const activityRangeInput = profileInput.extend({ from: day, to: day });

/** Reports (issue 15): the user activity report, per profile, read by every console role. */
export const reportsRouter = router({
  /**
   * One page of the report over [from, to] (at most 92 days): per UTC day, user and client, sorted so, with
   * the column version. Live data: late events show as soon as they are recorded.
   */
  activity: profileReadProcedure
    .input(activityRangeInput.extend({ cursor: z.string().max(400).nullish(), limit: z.number().int().min(1).max(1_000).default(100) }))
    .query(({ ctx, input }) => activityPage(ctx.readDb, ctx.profile, input, ctx.clock.now())),
});
