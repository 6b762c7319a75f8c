import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { profiles } from "@seatdesk/db";
import { consoleProcedure, router } from "../trpc/init";

export const profilesRouter = router({
  /** The account's profiles and the regions it could have one in. */
  list: consoleProcedure.query(async ({ ctx }) => {
    const rows = await ctx.database.db
      .select({ id: profiles.id, region: profiles.region, name: profiles.name })
      .from(profiles)
      .where(eq(profiles.accountId, ctx.accountId))
      .orderBy(asc(profiles.region));
    return { profiles: rows, regions: ctx.regions };
  }),

  /** The profile in one region, or the regions where the account has one ("you might be in the wrong region"). */
  byRegion: consoleProcedure.input(z.object({ region: z.string().min(1).max(64) })).query(async ({ ctx, input }) => {
    const rows = await ctx.database.db
      .select({ id: profiles.id, region: profiles.region, name: profiles.name })
      .from(profiles)
      .where(eq(profiles.accountId, ctx.accountId));
    const here = rows.find((p) => p.region === input.region) ?? null;
    return { profile: here, otherRegions: rows.filter((p) => p.region !== input.region).map((p) => p.region) };
  }),
});
