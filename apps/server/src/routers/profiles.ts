import { TRPCError } from "@trpc/server";
import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { profiles } from "@seatdesk/db";
import { adminActor, recordAudit } from "../services/audit";
import { settingsOf, type ProfileRow } from "../services/settings";
import { toWire } from "../wire";
import { consoleProcedure, ownerProcedure, profileProcedure, router } from "../trpc/init";
import type { Context } from "../trpc/context";

const createInput = z.object({
  region: z.string().trim().min(1, "choose a region").max(64, "at most 64 characters"),
  /** Defaults to the region's name. */
  name: z.string().trim().min(1, "enter a name, or leave it out").max(100, "at most 100 characters").optional(),
});

const profileView = (p: ProfileRow, regions: Context["regions"]) => ({
  id: p.id,
  region: p.region,
  regionName: regions.find((r) => r.id === p.region)?.name ?? p.region,
  name: p.name,
  createdAt: p.createdAt,
  settings: settingsOf(p),
});

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

  /** Owners open the account in another region: one profile per account and region (DESIGN.md §1). */
  create: ownerProcedure.input(createInput).mutation(async ({ ctx, input }) => {
    const region = ctx.regions.find((r) => r.id === input.region);
    if (!region) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `region: ${input.region} is not a region of this server; choose one of ${ctx.regions.map((r) => r.id).join(", ")}` });
    }
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const [profile] = await tx
        .insert(profiles)
        .values({ accountId: ctx.accountId, region: region.id, name: input.name ?? region.name, createdAt: now })
        .onConflictDoNothing({ target: [profiles.accountId, profiles.region] })
        .returning();
      if (!profile) throw new TRPCError({ code: "CONFLICT", message: `region: this account already has a profile in ${region.id}` });
      const view = profileView(profile, ctx.regions);
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        [{ profileId: profile.id, action: "profile.create", targetType: "profile", targetId: profile.id, after: { region: view.region, name: view.name, settings: view.settings } }],
        now,
      );
      return toWire(view);
    });
  }),

  /** One profile with its settings (the overrides are in settings.get). */
  get: profileProcedure.query(({ ctx }) => toWire(profileView(ctx.profile, ctx.regions))),
});
